package io.svcreg.deploy.ssh;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.function.Function;

/**
 * The SSH ciphers offered to a node, fastest first for the JIT this JVM runs with.
 *
 * <p>The JDK's AES-GCM is by far the fastest cipher (about 5.8 GB/s on one core here) when the
 * optimizing compiler (C2) turns its AES and GHASH code into the CPU's AES instructions. C2 is the
 * only compiler that does: {@code svcreg serve} runs with the quick compiler only ({@code
 * -XX:TieredStopAtLevel=1}, for its start-up), and there AES-GCM stays plain Java at about 57 MB/s,
 * while MINA's ChaCha20-Poly1305, plain Java in both cases, runs at about 220 MB/s. So ChaCha20
 * goes first unless C2 compiles the AES code. Every node's OpenSSH accepts both.
 */
public final class CipherOrder {

  private static final List<String> AES_FIRST =
      List.of(
          "aes128-gcm@openssh.com",
          "aes256-gcm@openssh.com",
          "chacha20-poly1305@openssh.com",
          "aes128-ctr",
          "aes192-ctr",
          "aes256-ctr");

  private static final List<String> CHACHA_FIRST =
      List.of(
          "chacha20-poly1305@openssh.com",
          "aes128-gcm@openssh.com",
          "aes256-gcm@openssh.com",
          "aes128-ctr",
          "aes192-ctr",
          "aes256-ctr");

  private static volatile List<String> forThisJvm;

  private CipherOrder() {}

  /**
   * Whether this JVM runs the JDK's AES-GCM as CPU instructions (C2 compiles it); looked up once.
   * Without them, ChaCha20-Poly1305 costs about a third of AES-GCM's CPU (the API's TLS prefers
   * it).
   */
  public static boolean aesCompiledHere() {
    return forThisJvm() == AES_FIRST;
  }

  /** The order for this JVM (looked up once). */
  static List<String> forThisJvm() {
    List<String> order = forThisJvm;
    if (order == null) {
      order = of(aesCompiled(CipherOrder::vmOption));
      forThisJvm = order;
    }
    return order;
  }

  /** AES-GCM first when {@code aesCompiled}, else ChaCha20-Poly1305 first. */
  static List<String> of(boolean aesCompiled) {
    return aesCompiled ? AES_FIRST : CHACHA_FIRST;
  }

  /**
   * Whether the JIT compiles the JDK's AES to CPU instructions, from the JVM's options ({@code
   * vmOption} answers a HotSpot option's value, or null when it is unknown): C2 must run (not
   * stopped at a C1 tier, not {@code -XX:CompilationMode=quick-only}) and the CPU must have them
   * ({@code UseAES}). A JVM that does not tell (not HotSpot) is taken to compile it.
   */
  static boolean aesCompiled(Function<String, String> vmOption) {
    String tiered = vmOption.apply("TieredCompilation");
    String stopAt = vmOption.apply("TieredStopAtLevel");
    String mode = vmOption.apply("CompilationMode");
    String useAes = vmOption.apply("UseAES");
    if ("false".equals(useAes) || "quick-only".equals(mode)) {
      return false;
    }
    if (!"false".equals(tiered) && stopAt != null) {
      try {
        return Integer.parseInt(stopAt) >= 4;
      } catch (NumberFormatException e) {
        return true;
      }
    }
    return true;
  }

  static String vmOption(String name) {
    try {
      return ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
          .getVMOption(name)
          .getValue();
    } catch (RuntimeException | LinkageError e) {
      return null; // not HotSpot, or no such option in this JVM
    }
  }
}
