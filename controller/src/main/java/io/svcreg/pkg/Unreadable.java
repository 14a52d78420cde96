package io.svcreg.pkg;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Marks read errors of a decompressed archive (a truncated or corrupt download), so that they are
 * told apart from errors writing where it is extracted to.
 */
public final class Unreadable extends FilterInputStream {

  /** A read error of the archive. */
  public static final class Failure extends IOException {
    private static final long serialVersionUID = 1L;

    Failure(IOException cause) {
      super(cause.getMessage(), cause);
    }
  }

  /** Wraps {@code in}, the decompressed stream of an archive. */
  public Unreadable(InputStream in) {
    super(in);
  }

  @Override
  public int read() throws IOException {
    try {
      return super.read();
    } catch (IOException e) {
      throw new Failure(e);
    }
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    try {
      return super.read(b, off, len);
    } catch (IOException e) {
      throw new Failure(e);
    }
  }
}
