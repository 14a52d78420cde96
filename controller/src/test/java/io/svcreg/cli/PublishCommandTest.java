package io.svcreg.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.svcreg.client.Event;
import io.svcreg.client.SvcregClient;
import io.svcreg.schema.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PublishCommandTest {

  @Test
  void parseApi_ipv4AndBracketedIpv6_withAndWithoutProtocol() {
    assertThat(PublishCommand.parseApi("grpc=127.0.0.1:50051/grpc"))
        .contains(new SvcregClient.PublishedApi("grpc", "127.0.0.1", 50051, "grpc"));
    assertThat(PublishCommand.parseApi("admin=[::1]:8081"))
        .contains(new SvcregClient.PublishedApi("admin", "::1", 8081, "tcp"));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"grpc:50051", "=127.0.0.1:1", "a=127.0.0.1", "a=::1:80", "a=127.0.0.1:1/"})
  void parseApi_notNameAddressPort_empty(String text) {
    assertThat(PublishCommand.parseApi(text)).isEmpty();
  }

  @Test
  void eventSummary_publishedEntries_showApisLeaseAndReason() throws Exception {
    Event registered =
        new Event(
            (ObjectNode)
                Json.mapper()
                    .readTree(
                        """
                        {"event": "service_updated", "revision": 3, "key": "Published/echo",
                         "data": {"module": "echo", "process": "2", "source": "published",
                          "apis": [{"name": "grpc", "address": "127.0.0.1", "port": 50051,
                                    "protocol": "grpc"}],
                          "ttl": "30s", "replacedProcess": "1"}}
                        """));
    Event removed =
        new Event(
            (ObjectNode)
                Json.mapper()
                    .readTree(
                        """
                        {"event": "service_removed", "revision": 4, "key": "Published/echo",
                         "data": {"module": "echo", "source": "published", "reason": "expired"}}
                        """));

    assertThat(EventText.summary(registered))
        .isEqualTo("process 2, grpc=127.0.0.1:50051/grpc, lease 30s (replaced process 1)");
    assertThat(EventText.summary(removed)).isEqualTo("expired");
  }
}
