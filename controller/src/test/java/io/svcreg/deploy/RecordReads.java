package io.svcreg.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Reads a run record over and over while a test has it written, as a rebuild may read it at any
 * moment: every read that finds the file must find a whole record.
 */
public final class RecordReads implements AutoCloseable {

  private final Path file;
  private final Thread reader;
  private final AtomicInteger whole = new AtomicInteger();
  private final List<String> broken = Collections.synchronizedList(new ArrayList<>());
  private volatile boolean stop;

  private RecordReads(Path file) {
    this.file = file;
    this.reader = Thread.ofPlatform().name("record-reads").daemon().start(this::readAll);
  }

  /** Starts reading {@code file}. */
  public static RecordReads of(Path file) {
    return new RecordReads(file);
  }

  private void readAll() {
    while (!stop) {
      LockSupport.parkNanos(50_000); // a read every 50 µs, not a core spinning
      String text;
      try {
        text = Files.readString(file, StandardCharsets.UTF_8);
      } catch (NoSuchFileException e) {
        continue;
      } catch (IOException e) {
        broken.add("cannot read: " + e.getMessage());
        continue;
      }
      if (RunRecord.parse(text).isPresent()) {
        whole.incrementAndGet();
      } else {
        broken.add(text);
      }
    }
  }

  /** How many reads found a whole record. */
  public int whole() {
    return whole.get();
  }

  /** What the reads that found a part (or an unreadable file) found. */
  public List<String> broken() {
    synchronized (broken) {
      return List.copyOf(broken);
    }
  }

  @Override
  public void close() throws InterruptedException {
    stop = true;
    reader.join();
  }
}
