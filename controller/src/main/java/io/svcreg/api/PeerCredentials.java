package io.svcreg.api;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.lang.reflect.InvocationTargetException;
import java.nio.channels.SocketChannel;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The process id, user id and group id of the process on the other end of a Unix-domain socket
 * ({@code SO_PEERCRED}'s {@code struct ucred}), which the JDK's {@code jdk.net} option does not
 * give (it gives the user's and the group's names only). Read with the FFM API ({@code
 * java.lang.foreign}, final in JDK 22): the implementation is compiled for JDK 22 ({@code
 * src/main/java22}) and loaded by name, so that svcreg still runs on JDK 21, without the ids.
 */
interface PeerCredentials {

  /** The implementation compiled for JDK 22 and newer. */
  String IMPLEMENTATION = "io.svcreg.api.FfmPeerCredentials";

  /** None: every connection's ids are unknown. */
  PeerCredentials NONE = fd -> Optional.empty();

  /**
   * The credentials of a connected process.
   *
   * @param pid its process id (as this process's pid namespace sees it; 0 when outside it)
   * @param uid its effective user id
   * @param gid its effective group id
   */
  record Ucred(long pid, long uid, long gid) {}

  /**
   * The credentials of the peer of the connected Unix-domain socket {@code fd}; empty if unread.
   */
  Optional<Ucred> of(int fd);

  /** The credentials of the peer of {@code channel}; empty when they cannot be read. */
  default Optional<Ucred> of(SocketChannel channel) {
    OptionalInt fd = fd(channel);
    return fd.isPresent() ? of(fd.getAsInt()) : Optional.empty();
  }

  /**
   * The implementation for this JVM, or {@link #NONE} with one line on why: the JDK is older than
   * 22, or the JVM lacks {@code --add-exports java.base/sun.nio.ch=ALL-UNNAMED} (the channel's file
   * descriptor) or {@code --enable-native-access=ALL-UNNAMED} (the call of {@code getsockopt}).
   */
  static PeerCredentials load(Logger log) {
    String why;
    try {
      PeerCredentials ffm =
          (PeerCredentials) Class.forName(IMPLEMENTATION).getDeclaredConstructor().newInstance();
      if (Object.class.getModule().isExported("sun.nio.ch", PeerCredentials.class.getModule())) {
        return ffm;
      }
      why = "the JVM runs without --add-exports java.base/sun.nio.ch=ALL-UNNAMED";
    } catch (UnsupportedClassVersionError e) {
      log.log(
          Level.INFO,
          "unix socket: the pid of a connecting process is not read: that needs JDK 22 or newer"
              + " (this is "
              + Runtime.version().feature()
              + ")");
      return NONE;
    } catch (ClassNotFoundException e) {
      log.log(
          Level.INFO,
          "unix socket: the pid of a connecting process is not read: svcreg was built by a JDK"
              + " older than 22, without the classes that read it");
      return NONE;
    } catch (InvocationTargetException e) {
      why =
          e.getCause() instanceof UnsupportedOperationException u
              ? u.getMessage()
              : String.valueOf(e.getCause());
    } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
      why = e.toString();
    }
    log.log(Level.DEBUG, "unix socket: the pid of a connecting process is not read: " + why);
    return NONE;
  }

  /**
   * The file descriptor of {@code channel}, from the JDK's internal {@code
   * sun.nio.ch.SelChImpl#getFDVal()} (there is no public API); empty when {@code sun.nio.ch} is not
   * exported to svcreg or the JDK has no such method.
   */
  static OptionalInt fd(SocketChannel channel) {
    try {
      Object fd = Class.forName("sun.nio.ch.SelChImpl").getMethod("getFDVal").invoke(channel);
      return OptionalInt.of((Integer) fd);
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      return OptionalInt.empty();
    }
  }
}
