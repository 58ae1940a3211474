package io.aeroarc.registry.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import io.aeroarc.registry.spi.BackendMisconfiguredException;
import io.aeroarc.registry.spi.BackendUnavailableException;
import io.grpc.Status;
import org.junit.jupiter.api.Test;

/**
 * The gRPC code table of {@link EtcdCalls#classify}; a refused password on a real etcd is checked
 * in {@link EtcdSecurityTest}.
 */
class EtcdErrorClassesTest {

    @Test
    void no_answer_and_a_busy_etcd_are_an_outage() {
        for (Status status : new Status[] {Status.UNAVAILABLE, Status.DEADLINE_EXCEEDED, Status.RESOURCE_EXHAUSTED, Status.ABORTED,
                Status.UNKNOWN.withDescription("etcdserver: leader changed")}) {
            assertThat(EtcdCalls.classify(status.asRuntimeException(), "etcd could not read"))
                    .as("%s", status.getCode()).isExactlyInstanceOf(BackendUnavailableException.class);
        }
    }

    @Test
    void refused_credentials_and_rights_are_a_misconfiguration() {
        assertThat(EtcdCalls.classify(Status.UNAUTHENTICATED.asRuntimeException(), "x")).isExactlyInstanceOf(BackendMisconfiguredException.class);
        assertThat(EtcdCalls.classify(Status.PERMISSION_DENIED.withDescription("etcdserver: permission denied").asRuntimeException(), "x"))
                .isExactlyInstanceOf(BackendMisconfiguredException.class);
        Throwable authFailed = Status.INVALID_ARGUMENT.withDescription("etcdserver: authentication failed, invalid user ID or password")
                .asRuntimeException();
        assertThat(EtcdCalls.classify(authFailed, "etcd could not authenticate: " + authFailed.getMessage()))
                .isExactlyInstanceOf(BackendMisconfiguredException.class);
    }

    @Test
    void requests_etcd_refuses_are_a_bug() {
        for (Status status : new Status[] {Status.INVALID_ARGUMENT.withDescription("etcdserver: too many operations in txn request"),
                Status.FAILED_PRECONDITION, Status.OUT_OF_RANGE, Status.INTERNAL}) {
            assertThat(EtcdCalls.classify(status.asRuntimeException(), "etcd could not write"))
                    .as("%s", status.getCode()).isExactlyInstanceOf(IllegalStateException.class);
        }
    }
}
