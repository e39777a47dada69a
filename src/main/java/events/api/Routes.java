package events.api;

import static org.springframework.web.reactive.function.server.RequestPredicates.all;
import static org.springframework.web.reactive.function.server.RequestPredicates.path;

import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.ServerResponse;

/** The whole API on one screen; fixed paths before {@code /{entity}/{id}}, since routes are tried in order. */
final class Routes {

    private Routes() {
    }

    static RouterFunction<ServerResponse> of(AdminHandler admin, EntityHandler entities, ErrorResponses errors) {
        return org.springframework.web.reactive.function.server.RouterFunctions.route()
                .path("/api", api -> api
                        .GET("/metadata", admin::metadata)
                        .GET("/db/report", admin::report)
                        .GET("/db/init", admin::initPage)
                        .POST("/db/init", admin::init)
                        .GET("/{entity}", entities::list)
                        .POST("/{entity}", entities::create)
                        .GET("/{entity}/{id}", entities::get)
                        .PUT("/{entity}/{id}", entities::replace)
                        .DELETE("/{entity}/{id}", entities::delete)
                        .route(path("/{entity}").or(path("/{entity}/{id}")), entities::methodNotAllowed)
                        .route(all(), entities::notFound))
                .onError(Throwable.class, (failure, request) -> errors.render(failure))
                .build();
    }
}
