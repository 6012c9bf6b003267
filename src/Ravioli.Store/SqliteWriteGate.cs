using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace Ravioli.Store;

/// <summary>
/// One writer at a time per SQLite file, queued in-process. SQLite allows a single writer; without this, concurrent
/// SaveChanges calls collide on the file lock and Microsoft.Data.Sqlite retries SQLITE_BUSY with fixed sleeps, so
/// 16 concurrent writers managed about half the rate of one. Queuing on a semaphore hands the lock over at once.
/// PostgreSQL has row locks and needs none of this.
/// </summary>
internal sealed class SqliteWriteGate
{
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> ByFile = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, SqliteWriteGate> ByConnectionString = new(StringComparer.Ordinal);

    private readonly SemaphoreSlim _semaphore;
    private readonly TimeSpan _wait;

    private SqliteWriteGate(SemaphoreSlim semaphore, TimeSpan wait)
    {
        _semaphore = semaphore;
        _wait = wait;
    }

    /// <summary>
    /// RAVIOLI_SQLITE_WRITE_GATE=off turns the gate off, only to measure what it is worth against the same build
    /// (docs/reliability.md); nothing else should set it.
    /// </summary>
    private static readonly bool Enabled = Environment.GetEnvironmentVariable("RAVIOLI_SQLITE_WRITE_GATE") != "off";

    /// <summary>The gate for this context's database file, or null when it is not SQLite.</summary>
    public static SqliteWriteGate? For(DbContext db)
    {
        if (!Enabled || !db.Database.IsSqlite() || db.Database.GetConnectionString() is not { } connection)
        {
            return null;
        }
        return ByConnectionString.GetOrAdd(connection, c =>
        {
            var builder = new SqliteConnectionStringBuilder(c);
            // One gate per file, whatever spelling of its path a connection string uses.
            var key = builder.DataSource is ":memory:" or "" ? builder.DataSource : Path.GetFullPath(builder.DataSource);
            return new SqliteWriteGate(ByFile.GetOrAdd(key, _ => new SemaphoreSlim(1, 1)), TimeSpan.FromSeconds(builder.DefaultTimeout));
        });
    }

    /// <summary>
    /// Waits for the gate as long as SQLite itself would wait for a lock. While another process holds the file, the
    /// writer in front waits out its busy timeout and every writer behind it would wait longer still; failing them
    /// as "locked" after the same bound keeps every request's wait bounded (and its answer a 503).
    /// </summary>
    public async Task<IDisposable> EnterAsync(CancellationToken ct)
    {
        if (!await _semaphore.WaitAsync(_wait, ct))
        {
            throw new SqliteException("database is locked: another write held the database for longer than the busy timeout", 5);
        }
        return new Releaser(_semaphore);
    }

    private sealed class Releaser(SemaphoreSlim semaphore) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                semaphore.Release();
            }
        }
    }
}
