package io.pgflowee.it;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;

/** Only in PayaraMicroIT's deployment: an endpoint with a bug, to see what the API answers for one. */
@Path("it/failing")
public class ItFailingResource {

    /** The message stands for what a bug's exception may carry (data, a connection string): it must not reach the client. */
    static final String SECRET_MESSAGE = "user=postgres password=hunter2 at jdbc:postgresql://db/pgflow";

    @GET
    public String fail() {
        throw new IllegalStateException(SECRET_MESSAGE);
    }
}
