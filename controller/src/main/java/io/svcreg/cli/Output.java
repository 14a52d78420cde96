package io.svcreg.cli;

import java.io.PrintWriter;

/**
 * Where a command writes: {@code out} for results, {@code err} for problems and errors, and whether
 * {@code out} may be coloured (a terminal, and {@code NO_COLOR} unset).
 */
public record Output(PrintWriter out, PrintWriter err, boolean color) {

  /** Flushes both streams; call before switching from one to the other. */
  void flush() {
    out.flush();
    err.flush();
  }
}
