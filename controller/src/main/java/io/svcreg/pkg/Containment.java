package io.svcreg.pkg;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;

/**
 * Whether a symbolic link inside a directory tree stays inside it when followed: resolves the link
 * the way the kernel does (each component, following links inside the tree, {@code ..} going up),
 * so that chains such as {@code a -> ..} and {@code b -> a/..} are judged by where they really
 * lead, not by their text.
 */
public final class Containment {

  /** Most links followed while resolving one link (the kernel's limit is 40 too). */
  static final int MAX_HOPS = 40;

  private Containment() {}

  /** Why following {@code link} (a symbolic link below {@code root}) escapes, or empty if not. */
  public static Optional<String> escape(Path root, Path link) throws IOException {
    List<String> current = new ArrayList<>();
    for (Path part : root.relativize(link.getParent())) {
      if (!part.toString().isEmpty()) {
        current.add(part.toString());
      }
    }
    Deque<String> todo = new ArrayDeque<>();
    Path first = Files.readSymbolicLink(link);
    if (first.isAbsolute()) {
      return Optional.of("points to the absolute path " + first);
    }
    pushFront(todo, first);
    int hops = 0;
    while (!todo.isEmpty()) {
      String c = todo.pop();
      if (c.isEmpty() || c.equals(".")) {
        continue;
      }
      if (c.equals("..")) {
        if (current.isEmpty()) {
          return Optional.of("points outside the package (via " + first + ")");
        }
        current.remove(current.size() - 1);
        continue;
      }
      current.add(c);
      Path p = root.resolve(String.join("/", current));
      if (Files.isSymbolicLink(p)) {
        if (++hops > MAX_HOPS) {
          return Optional.of("is part of a loop of symbolic links");
        }
        Path target = Files.readSymbolicLink(p);
        if (target.isAbsolute()) {
          return Optional.of("leads to the absolute path " + target);
        }
        current.remove(current.size() - 1);
        pushFront(todo, target);
      }
    }
    return Optional.empty();
  }

  private static void pushFront(Deque<String> todo, Path target) {
    List<String> parts = new ArrayList<>();
    for (Path part : target) {
      parts.add(part.toString());
    }
    for (int i = parts.size() - 1; i >= 0; i--) {
      todo.push(parts.get(i));
    }
  }
}
