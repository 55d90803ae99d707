package io.pgflowee.it.support;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;

/** Only in the shared test deployment ({@link ItDeployment}): an endpoint with a bug, to see what the API answers for one. */
@Path("it/failing")
@org.eclipse.microprofile.openapi.annotations.tags.Tag(name = "Test only", description = "Resources of the test deployment")
public class ItFailingResource {

    /** The message stands for what a bug's exception may carry (data, a connection string): it must not reach the client. */
    public static final String SECRET_MESSAGE = "user=postgres password=hunter2 at jdbc:postgresql://db/pgflow";

    @GET
    @jakarta.annotation.security.RolesAllowed("pgflow-viewer") // every endpoint declares its role (deny by default)
    public String fail() {
        throw new IllegalStateException(SECRET_MESSAGE);
    }

    /** The console's twin: a page ({@code it-failing.xhtml}) whose rendering, and whose button, hit a bug. */
    @jakarta.inject.Named("itFailingConsole")
    @jakarta.enterprise.context.RequestScoped
    public static class Console {
        public String getBoom() {
            throw new IllegalStateException(SECRET_MESSAGE);
        }

        @jakarta.annotation.security.RolesAllowed("pgflow-viewer")
        public void act() {
            throw new IllegalStateException(SECRET_MESSAGE);
        }
    }

    /** The page, added to the test deployment. */
    public static final String PAGE = """
            <ui:composition xmlns="http://www.w3.org/1999/xhtml" xmlns:h="jakarta.faces.html" xmlns:ui="jakarta.faces.facelets"
                            xmlns:p="http://primefaces.org/ui" template="/WEB-INF/templates/layout.xhtml">
              <ui:define name="title">Failing</ui:define>
              <ui:define name="content">
                <h:form id="failing"><p:commandButton id="fail" value="Fail" action="#{itFailingConsole.act}"/></h:form>
                <h:outputText value="#{itFailingConsole.boom}" rendered="#{param.render ne null}"/>
              </ui:define>
            </ui:composition>
            """;
}
