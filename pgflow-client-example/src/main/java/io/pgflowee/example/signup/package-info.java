/**
 * An application that uses pgflow's typed client: {@link io.pgflowee.example.signup.SignupService}
 * inside the server (the signup row and its greeting run commit together),
 * {@link io.pgflowee.example.signup.RemoteGreeter} from another JVM.
 */
package io.pgflowee.example.signup;
