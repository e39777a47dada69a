package events.api;

import static org.springframework.web.reactive.function.server.RequestPredicates.all;
import static org.springframework.web.reactive.function.server.RequestPredicates.path;

import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.ServerResponse;

import events.schema.Entity;
import events.schema.Schema;

/** The whole API on one screen; fixed paths before {@code /{entity}/{id}}, since routes are tried in order. */
final class Routes {

    private Routes() {
    }

    static RouterFunction<ServerResponse> of(Schema schema, AuthHandler auth, AdminHandler admin,
                                             EntityHandler entities, ErrorResponses errors) {
        return org.springframework.web.reactive.function.server.RouterFunctions.route()
                .path("/api", api -> {
                    // One login route per principal entity (services.authn.route), before /{entity}/{id}.
                    for (Entity principal : schema.entities()) {
                        if (principal.login() != null) {
                            api.POST("/" + principal.login().route(), auth.login(principal));
                        }
                    }
                    api
                        .POST("/logout", auth::logout)
                        .POST("/refresh", auth::refresh)
                        .GET("/session", auth::session)
                        .GET("/metadata", admin::metadata)
                        .GET("/db/report", admin::report)
                        .GET("/db/init", admin::initPage)
                        .POST("/db/init", admin::init)
                        .POST("/_batch", entities::batch)
                        .route(path("/_batch"), entities::batchMethodNotAllowed)
                        .GET("/{entity}", entities::list)
                        .POST("/{entity}", entities::create)
                        .POST("/{entity}/_import", entities::importDocuments)
                        .GET("/{entity}/{id}", entities::get)
                        .PUT("/{entity}/{id}", entities::replace)
                        .PATCH("/{entity}/{id}", entities::patch)
                        .DELETE("/{entity}/{id}", entities::delete)
                        .route(path("/{entity}").or(path("/{entity}/{id}")), entities::methodNotAllowed)
                        .route(all(), entities::notFound);
                })
                .onError(Throwable.class, (failure, request) -> errors.render(failure, request))
                .build();
    }
}
