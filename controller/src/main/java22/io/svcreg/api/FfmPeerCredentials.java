package io.svcreg.api;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Optional;
import java.util.Set;

/**
 * {@code getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &ucred, &len)} through the FFM API (JDK 22), on
 * Linux on the architectures whose {@code SO_PEERCRED} is 17 (not PowerPC, MIPS, SPARC, PA-RISC).
 * Loaded by {@link PeerCredentials#load}; made only when the JVM enables native access for svcreg
 * ({@code --enable-native-access=ALL-UNNAMED}), so that the JDK never warns about it.
 */
final class FfmPeerCredentials implements PeerCredentials {

  private static final Logger LOG = System.getLogger(FfmPeerCredentials.class.getName());

  private static final int SOL_SOCKET = 1;
  private static final int SO_PEERCRED = 17;
  private static final Set<String> ARCHITECTURES =
      Set.of("amd64", "x86_64", "aarch64", "riscv64", "s390x");

  /** {@code struct ucred {pid_t pid; uid_t uid; gid_t gid;}}: 12 bytes. */
  private static final StructLayout UCRED =
      MemoryLayout.structLayout(
          JAVA_INT.withName("pid"), JAVA_INT.withName("uid"), JAVA_INT.withName("gid"));

  private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
  private static final VarHandle ERRNO = CALL_STATE.varHandle(PathElement.groupElement("errno"));

  private final MethodHandle getsockopt;

  @SuppressWarnings("restricted") // native access is checked first
  FfmPeerCredentials() {
    String os = System.getProperty("os.name");
    String arch = System.getProperty("os.arch");
    if (!"Linux".equals(os) || !ARCHITECTURES.contains(arch)) {
      throw new UnsupportedOperationException(
          "SO_PEERCRED is read on Linux on x86-64, AArch64, RISC-V and s390x only (this is "
              + os
              + " on "
              + arch
              + ")");
    }
    if (!FfmPeerCredentials.class.getModule().isNativeAccessEnabled()) {
      throw new UnsupportedOperationException(
          "the JVM runs without --enable-native-access=ALL-UNNAMED");
    }
    Linker linker = Linker.nativeLinker();
    MemorySegment function =
        linker
            .defaultLookup()
            .find("getsockopt")
            .orElseThrow(() -> new UnsupportedOperationException("no getsockopt in the C library"));
    getsockopt =
        linker.downcallHandle(
            function,
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS),
            Linker.Option.captureCallState("errno"));
  }

  @Override
  public Optional<Ucred> of(int fd) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CALL_STATE);
      MemorySegment ucred = arena.allocate(UCRED);
      MemorySegment length = arena.allocate(JAVA_INT);
      length.set(JAVA_INT, 0, (int) UCRED.byteSize());
      int result = (int) getsockopt.invokeExact(state, fd, SOL_SOCKET, SO_PEERCRED, ucred, length);
      if (result != 0) {
        LOG.log(
            Level.DEBUG,
            "unix socket: getsockopt(SO_PEERCRED) failed: errno " + (int) ERRNO.get(state, 0L));
        return Optional.empty();
      }
      if (length.get(JAVA_INT, 0) != UCRED.byteSize()) {
        LOG.log(
            Level.DEBUG,
            "unix socket: getsockopt(SO_PEERCRED) gave " + length.get(JAVA_INT, 0) + " bytes");
        return Optional.empty();
      }
      return Optional.of(
          new Ucred(
              ucred.get(JAVA_INT, 0),
              Integer.toUnsignedLong(ucred.get(JAVA_INT, 4)),
              Integer.toUnsignedLong(ucred.get(JAVA_INT, 8))));
    } catch (Error e) {
      throw e;
    } catch (Throwable t) {
      LOG.log(Level.DEBUG, "unix socket: getsockopt(SO_PEERCRED) failed: " + t);
      return Optional.empty();
    }
  }
}
