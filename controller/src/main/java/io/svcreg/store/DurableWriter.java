package io.svcreg.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.serializer.afs.types.AFile;
import org.eclipse.store.afs.nio.types.NioFileSystem;
import org.eclipse.store.storage.exceptions.StorageExceptionIoWriting;
import org.eclipse.store.storage.types.StorageFile;
import org.eclipse.store.storage.types.StorageFileProvider;
import org.eclipse.store.storage.types.StorageFileWriter;
import org.eclipse.store.storage.types.StorageImportSource;
import org.eclipse.store.storage.types.StorageLiveChannelFile;
import org.eclipse.store.storage.types.StorageLiveDataFile;
import org.eclipse.store.storage.types.StorageLiveTransactionsFile;
import org.eclipse.store.storage.types.StorageWriteController;

/**
 * EclipseStore's file writer, made durable: every write is forced to disk ({@code fdatasync})
 * before the writer returns, and a created or deleted file's directory is synced. EclipseStore
 * writes a commit's data, then its transaction-log entry, and answers the commit only after both;
 * forcing each in turn keeps that order on disk, so a commit that returned survives a power loss.
 */
final class DurableWriter implements StorageFileWriter {

  private final Map<Path, FileChannel> channels = new HashMap<>();
  private final AtomicLong storedBytes = new AtomicLong();
  private boolean closed;

  @Override
  public long writeStore(StorageLiveDataFile targetFile, Iterable<? extends ByteBuffer> buffers) {
    long written = write(targetFile, buffers);
    storedBytes.addAndGet(written);
    return written;
  }

  /** How many bytes of entity data commits have written (not counting housekeeping copies). */
  long storedBytes() {
    return storedBytes.get();
  }

  @Override
  public long write(StorageFile file, Iterable<? extends ByteBuffer> buffers) {
    long written = file.writeBytes(buffers);
    force(file);
    return written;
  }

  @Override
  public long writeImport(
      StorageImportSource source,
      long sourceOffset,
      long copyLength,
      StorageLiveDataFile targetFile) {
    long written =
        StorageFileWriter.super.writeImport(source, sourceOffset, copyLength, targetFile);
    force(targetFile);
    return written;
  }

  @Override
  public long writeTransfer(
      StorageLiveDataFile sourceFile,
      long sourceOffset,
      long copyLength,
      StorageLiveDataFile targetFile) {
    long written =
        StorageFileWriter.super.writeTransfer(sourceFile, sourceOffset, copyLength, targetFile);
    force(targetFile);
    return written;
  }

  @Override
  public long writeTransactionEntryCreate(
      StorageLiveTransactionsFile transactionFile,
      Iterable<? extends ByteBuffer> byteBuffers,
      StorageLiveDataFile dataFile) {
    // the new data file's directory entry must be durable before the log says it exists
    syncDirectoryOf(dataFile);
    return write(transactionFile, byteBuffers);
  }

  @Override
  public void truncate(
      StorageLiveChannelFile<?> file, long newLength, StorageFileProvider fileProvider) {
    StorageFileWriter.super.truncate(file, newLength, fileProvider);
    force(file);
  }

  @Override
  public void delete(
      StorageLiveDataFile file,
      StorageWriteController writeController,
      StorageFileProvider fileProvider) {
    release(path(file));
    StorageFileWriter.super.delete(file, writeController, fileProvider);
    syncDirectoryOf(file);
  }

  /** Closes the channels this writer opened to force files. */
  synchronized void close() {
    closed = true;
    for (FileChannel c : channels.values()) {
      try {
        c.close();
      } catch (IOException ignored) {
        // closing a channel used only for fsync loses nothing
      }
    }
    channels.clear();
  }

  private synchronized void force(StorageFile file) {
    Path path = path(file);
    try {
      FileChannel c = channels.get(path);
      if (c == null || !c.isOpen()) {
        if (closed) {
          throw new IOException("the store is closed");
        }
        c = FileChannel.open(path, StandardOpenOption.WRITE);
        channels.put(path, c);
      }
      c.force(false);
    } catch (IOException e) {
      throw new StorageExceptionIoWriting("cannot sync " + path + ": " + e.getMessage(), e);
    }
  }

  private synchronized void release(Path path) {
    FileChannel c = channels.remove(path);
    if (c != null) {
      try {
        c.close();
      } catch (IOException ignored) {
        // the file is being deleted
      }
    }
  }

  private static void syncDirectoryOf(StorageFile file) {
    try {
      Fsync.directory(path(file).getParent());
    } catch (IOException e) {
      throw new StorageExceptionIoWriting(
          "cannot sync the directory of " + path(file) + ": " + e.getMessage(), e);
    }
  }

  private static Path path(StorageFile file) {
    AFile f = file.file();
    return ((NioFileSystem) f.fileSystem()).resolve(f);
  }
}
