package io.pgflowee.it.support;

import org.jboss.arquillian.container.spi.client.deployment.DeploymentScenario;
import org.jboss.arquillian.container.spi.event.DeployManagedDeployments;
import org.jboss.arquillian.container.spi.event.UnDeployManagedDeployments;
import org.jboss.arquillian.container.test.impl.client.deployment.event.GenerateDeployment;
import org.jboss.arquillian.core.api.Event;
import org.jboss.arquillian.core.api.Instance;
import org.jboss.arquillian.core.api.InstanceProducer;
import org.jboss.arquillian.core.api.annotation.Inject;
import org.jboss.arquillian.core.api.annotation.Observes;
import org.jboss.arquillian.core.spi.EventContext;
import org.jboss.arquillian.core.spi.LoadableExtension;
import org.jboss.arquillian.test.spi.TestClass;
import org.jboss.arquillian.test.spi.annotation.ClassScoped;
import org.jboss.arquillian.test.spi.context.ClassContext;
import org.jboss.arquillian.test.spi.event.suite.AfterSuite;

/**
 * One Payara Micro for every Arquillian test class of the run: Arquillian deploys per class (and
 * the Payara Micro connector boots a new server per deployment), so this extension builds the
 * deployment once from {@link ItDeployment}, deploys it before the first class, hands the same
 * deployment to every later class and undeploys it when the suite ends. Registered in
 * {@code META-INF/services/org.jboss.arquillian.core.spi.LoadableExtension}.
 */
public final class SharedDeployment implements LoadableExtension {

    @Override
    public void register(ExtensionBuilder builder) {
        builder.observer(Controller.class);
    }

    /** Arquillian's events around deployments, intercepted (an interceptor that does not proceed cancels the event). */
    public static final class Controller {

        @Inject
        @ClassScoped
        private InstanceProducer<DeploymentScenario> scenario;

        @Inject
        private Instance<ClassContext> classContext;

        @Inject
        private Event<GenerateDeployment> generate;

        @Inject
        private Event<UnDeployManagedDeployments> undeploy;

        private DeploymentScenario shared;
        private boolean generating;
        private boolean deployed;
        private RuntimeException deployFailure;
        private boolean undeploying;

        /** Every test class gets the deployment of {@link ItDeployment}, generated once. */
        public void generate(@Observes EventContext<GenerateDeployment> event) {
            if (generating) {
                event.proceed();
                return;
            }
            Class<?> test = event.getEvent().getTestClass().getJavaClass();
            if (!ItDeployment.SUBJECTS.contains(test)) {
                throw new IllegalStateException(test.getName() + " runs on the shared Payara Micro but is not in the deployment:"
                        + " list it in ItDeployment.SUBJECTS");
            }
            if (shared == null) {
                generating = true;
                try {
                    generate.fire(new GenerateDeployment(new TestClass(ItDeployment.class)));
                } finally {
                    generating = false;
                }
                shared = scenario.get();
            } else {
                scenario.set(shared);
            }
        }

        /** Deploys (boots the server) for the first class only; a failed boot fails every later class at once. */
        public void deploy(@Observes EventContext<DeployManagedDeployments> event) {
            if (deployFailure != null) {
                throw deployFailure;
            }
            if (deployed) {
                return;
            }
            try {
                event.proceed();
                deployed = true;
            } catch (RuntimeException e) {
                deployFailure = e;
                throw e;
            }
        }

        /** Keeps the deployment across classes: only {@link #undeployAtTheEnd} undeploys. */
        public void undeploy(@Observes EventContext<UnDeployManagedDeployments> event) {
            if (undeploying) {
                event.proceed();
            }
        }

        /** Before Arquillian stops the containers at the end of the suite: undeploy (stops the Payara Micro process). */
        public void undeployAtTheEnd(@Observes(precedence = 1000) AfterSuite event) {
            if (!deployed) {
                return;
            }
            classContext.get().activate(ItDeployment.class);
            try {
                scenario.set(shared);
                undeploying = true;
                undeploy.fire(new UnDeployManagedDeployments());
            } finally {
                undeploying = false;
                deployed = false;
                classContext.get().deactivate();
            }
        }
    }
}
