package events.api;

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
        // Full paths, not .path("/api", ...): a nested route merges its pattern with the nest's by parsing
        // the combination again on every request it matches.
        var api = org.springframework.web.reactive.function.server.RouterFunctions.route();
        // One login route per principal entity (services.authn.route), before /{entity}/{id}.
        for (Entity principal : schema.entities()) {
            if (principal.login() != null) {
                api.POST("/api/" + principal.login().route(), auth.login(principal));
            }
        }
        return api
                .POST("/api/logout", auth::logout)
                .POST("/api/refresh", auth::refresh)
                .GET("/api/session", auth::session)
                .GET("/api/metadata", admin::metadata)
                .GET("/api/db/report", admin::report)
                .GET("/api/db/init", admin::initPage)
                .POST("/api/db/init", admin::init)
                .POST("/api/_batch", entities::batch)
                .route(path("/api/_batch"), entities::batchMethodNotAllowed)
                .GET("/api/{entity}", entities::list)
                .POST("/api/{entity}", entities::create)
                .POST("/api/{entity}/_import", entities::importDocuments)
                .GET("/api/{entity}/{id}", entities::get)
                .PUT("/api/{entity}/{id}", entities::replace)
                .PATCH("/api/{entity}/{id}", entities::patch)
                .DELETE("/api/{entity}/{id}", entities::delete)
                .route(path("/api/{entity}").or(path("/api/{entity}/{id}")), entities::methodNotAllowed)
                .route(path("/api/**"), entities::notFound)
                .onError(Throwable.class, (failure, request) -> errors.render(failure, request))
                .build();
    }
}
