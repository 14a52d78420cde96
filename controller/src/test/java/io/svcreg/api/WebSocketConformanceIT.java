package io.svcreg.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.ControllerApp;
import io.svcreg.Waits;
import io.svcreg.registry.Registry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RFC 6455 framing errors sent by a hand-made peer over real TLS: what the server answers, and that
 * it keeps serving its other connections.
 */
class WebSocketConformanceIT {

  @TempDir static Path tmp;

  static ControllerApp app;
  static ApiServer server;
  static SSLContext ssl;
  static String admin;

  @BeforeAll
  static void start() throws Exception {
    Path specs = Files.createDirectories(tmp.resolve("specs"));
    Files.writeString(
        specs.resolve("net.yaml"),
        """
        apiVersion: svcreg.io/v1
        kind: Network
        metadata: {name: lo}
        spec: {type: local, subnet: 127.0.43.0/24}
        """);
    app = ControllerApp.start(ControllerApp.Config.of(specs, tmp.resolve("data")));
    server =
        app.startApi(
            ApiServer.Options.defaults("test").withListen("127.0.0.1", 0),
            Registry.Options.DEFAULTS);
    ssl = TestClient.trusting(tmp.resolve("data/tls/ca.crt"));
    admin = Files.readString(tmp.resolve("data/tokens/admin.token"));
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
    if (app != null) {
      app.close();
    }
  }

  @Test
  void reservedOpcode_close1002WithoutAnHttpResponseInTheStream() throws Exception {
    try (TestClient other = TestClient.connect(ssl, server.url(), admin)) {
      assertServed(other);
      List<Connection> before = List.copyOf(server.hub().connections());
      for (int opcode : new int[] {0x3, 0x7, 0xB, 0xF}) {
        byte[] answer;
        try (RawFrames raw = RawFrames.connect(ssl, server.url(), admin)) {
          raw.send(true, opcode, "x".getBytes(StandardCharsets.UTF_8));
          answer = raw.readToEnd();
        }

        assertThat(closeFrames(answer)).as("opcode %x", opcode).containsExactly(1002);
        assertThat(new String(answer, StandardCharsets.ISO_8859_1)).doesNotContain("HTTP/1.1");
        assertServed(other);
      }
      Waits.atMost(Duration.ofSeconds(10))
          .alias("the failed connections are gone from the hub and the thread registry")
          .until(
              () ->
                  before.containsAll(server.hub().connections())
                      && server.frameFailures().size() <= before.size());
    }
    assertServedOnANewConnection();
  }

  @Test
  void closeFrameWithAOneBytePayload_oneClose1002() throws Exception {
    byte[] answer;
    try (RawFrames raw = RawFrames.connect(ssl, server.url(), admin)) {
      raw.send(true, 0x8, new byte[] {3});
      answer = raw.readToEnd();
    }

    assertThat(closeFrames(answer)).containsExactly(1002);
    assertServedOnANewConnection();
  }

  @Test
  void textWithInvalidUtf8_knownGap_readWithReplacementCharactersAndConnectionStaysOpen()
      throws Exception {
    byte[] text =
        "{\"id\":\"u\",\"type\":\"request\",\"action\":\"server_info?\"}"
            .getBytes(StandardCharsets.UTF_8);
    text[text.length - 3] = (byte) 0xff;
    try (RawFrames raw = RawFrames.connect(ssl, server.url(), admin)) {
      raw.send(true, 0x1, text);
      RawFrames.Frame answer = raw.read();

      assertThat(answer.opcode())
          .as("not a close with 1007 (Helidon 4.3.1 and 4.5.0)")
          .isEqualTo(0x1);
      assertThat(new String(answer.payload(), StandardCharsets.UTF_8))
          .contains("\"id\":\"u\"", "\"code\":\"unknown_action\"", "server_info\uFFFD");
      raw.send(true, 0x1, request("after").getBytes(StandardCharsets.UTF_8));
      assertThat(new String(raw.read().payload(), StandardCharsets.UTF_8))
          .contains("\"id\":\"after\"", "\"protocol\":1");
    }
    assertServedOnANewConnection();
  }

  @Test
  void textFragmentsSplittingACharacter_knownGap_characterReadAsReplacementCharacters()
      throws Exception {
    byte[] text =
        "{\"id\":\"\u00e9\",\"type\":\"request\",\"action\":\"server_info\"}"
            .getBytes(StandardCharsets.UTF_8);
    int split = 8; // between the two bytes of é
    try (RawFrames raw = RawFrames.connect(ssl, server.url(), admin)) {
      raw.send(false, 0x1, java.util.Arrays.copyOfRange(text, 0, split));
      raw.send(true, 0x0, java.util.Arrays.copyOfRange(text, split, text.length));
      String answer = new String(raw.read().payload(), StandardCharsets.UTF_8);

      assertThat(answer)
          .as("Helidon 4.3.1 and 4.5.0 decode each frame alone")
          .contains("\"id\":\"\uFFFD\uFFFD\"", "\"protocol\":1");
    }
    assertServedOnANewConnection();
  }

  @Test
  void fragmentedPing_knownGap_answeredWithPongAndConnectionStaysOpen() throws Exception {
    try (RawFrames raw = RawFrames.connect(ssl, server.url(), admin)) {
      raw.send(false, 0x9, "hi".getBytes(StandardCharsets.UTF_8));
      RawFrames.Frame pong = raw.read();

      assertThat(pong.opcode())
          .as("a pong, not a close with 1002 (Helidon 4.3.1 and 4.5.0)")
          .isEqualTo(0xA);
      assertThat(new String(pong.payload(), StandardCharsets.UTF_8)).isEqualTo("hi");
      raw.send(true, 0x1, request("after").getBytes(StandardCharsets.UTF_8));
      assertThat(new String(raw.read().payload(), StandardCharsets.UTF_8))
          .contains("\"id\":\"after\"");
    }
    assertServedOnANewConnection();
  }

  @Test
  void reservedBitsOrUnmaskedFrame_close1002() throws Exception {
    byte[][] frames = {
      {(byte) 0xC1, (byte) 0x81, 1, 2, 3, 4, 'x' ^ 1}, // RSV1 set, masked text "x"
      {(byte) 0x81, 0x01, 'x'} // unmasked text "x"
    };
    for (byte[] frame : frames) {
      byte[] answer;
      try (RawFrames raw = RawFrames.connect(ssl, server.url(), admin)) {
        raw.sendRaw(frame);
        answer = raw.readToEnd();
      }

      assertThat(closeFrames(answer)).as(HexFormat.of().formatHex(frame)).containsExactly(1002);
    }
    assertServedOnANewConnection();
  }

  @Test
  void continuationWithoutAMessage_close1002() throws Exception {
    byte[] answer;
    try (RawFrames raw = RawFrames.connect(ssl, server.url(), admin)) {
      raw.send(true, 0x0, "x".getBytes(StandardCharsets.UTF_8));
      answer = raw.readToEnd();
    }

    assertThat(closeFrames(answer)).containsExactly(1002);
    assertServedOnANewConnection();
  }

  // ------------------------------------------------------------------ helpers

  private static String request(String id) {
    return "{\"id\":\"" + id + "\",\"type\":\"request\",\"action\":\"server_info\"}";
  }

  private static void assertServed(TestClient c) throws Exception {
    assertThat(c.request("server_info", null).path("data").path("protocol").asInt()).isEqualTo(1);
  }

  private static void assertServedOnANewConnection() throws Exception {
    try (TestClient c = TestClient.connect(ssl, server.url(), admin)) {
      assertServed(c);
    }
  }

  /** The close codes of the close frames in what the server sent (unmasked frames). */
  private static List<Integer> closeFrames(byte[] b) {
    List<Integer> codes = new ArrayList<>();
    int i = 0;
    while (i + 2 <= b.length) {
      int opcode = b[i] & 0x0f;
      int len = b[i + 1] & 0x7f;
      int at = i + 2;
      if (len == 126) {
        len = ((b[at] & 0xff) << 8) | (b[at + 1] & 0xff);
        at += 2;
      } else if (len == 127) {
        throw new AssertionError("a frame over 64 KiB: " + HexFormat.of().formatHex(b));
      }
      if (opcode == 0x8) {
        codes.add(len >= 2 ? ((b[at] & 0xff) << 8) | (b[at + 1] & 0xff) : 1005);
      }
      i = at + len;
    }
    assertThat(i).as("whole frames only: " + HexFormat.of().formatHex(b)).isEqualTo(b.length);
    return codes;
  }
}
