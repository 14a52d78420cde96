package io.svcreg.loop;

import io.svcreg.deploy.ssh.OpenSshd;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The service of the address tests: an HTTP server that binds its own {@code SERVICE_IP} (so it
 * fails to start where that address is not configured), with a health check that asks it there.
 */
public final class AddressedWeb {

  /** The port it listens on. */
  public static final int PORT = 8080;

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private AddressedWeb() {}

  /** Writes its package {@code packages/web-1} (service web 1.0.0) into {@code rig}. */
  static void write(Rig rig) {
    rig.light(
        "web-1",
        "web",
        "1.0.0",
        "exec /usr/bin/python3 -c \"import urllib.request, os;"
            + " urllib.request.urlopen('http://%s:%s/' % (os.environ['SERVICE_IP'],"
            + " os.environ['SERVICE_PORT_HTTP']), timeout=2)\"",
        "exec /usr/bin/python3 -m http.server --bind \"$SERVICE_IP\" \"$SERVICE_PORT_HTTP\"");
  }

  /** The spec of service web on {@code node} of {@code network}. */
  static String spec(String network, String node) {
    return "apiVersion: svcreg.io/v1\nkind: Service\nmetadata: {name: web}\nspec:\n"
        + "  version: \"1.0.0\"\n  package: ../packages/web-1\n  network: "
        + network
        + "\n  node: "
        + node
        + "\n  endpoints: [{name: http, port: "
        + PORT
        + "}]\n"
        + "  health: {script: scripts/health.sh, interval: 1s, timeout: 3s, failureThreshold: 2}\n";
  }

  /**
   * A {@code nodes:} list of one node, {@code n1} at {@code address}, reached as root through
   * {@code sshd}, installing below {@code installRoot}.
   */
  static String node(String address, OpenSshd sshd, Path installRoot) {
    return "  nodes:\n    - name: n1\n      address: "
        + address
        + "\n      ssh: {user: root, port: "
        + sshd.port
        + ", identityFile: "
        + sshd.clientKey
        + ", knownHosts: "
        + sshd.knownHosts
        + "}\n      installRoot: "
        + installRoot
        + "\n";
  }

  /** The HTTP status of {@code GET /} at {@code address}. */
  static int get(String address) throws Exception {
    return fetch(address).statusCode();
  }

  /** The answer to {@code GET /} at {@code address}, port {@link #PORT} (any server there). */
  public static HttpResponse<String> fetch(String address)
      throws IOException, InterruptedException {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://" + address + ":" + PORT + "/"))
            .timeout(Duration.ofSeconds(3))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** Whether it answers at {@code address}. */
  static boolean answers(String address) {
    try {
      return get(address) == 200;
    } catch (Exception e) {
      return false;
    }
  }
}
