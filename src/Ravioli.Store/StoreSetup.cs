using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Npgsql;

namespace Ravioli.Store;

/// <summary>Which engine a connection string names, and how to configure EF Core for it.</summary>
public static class StoreSetup
{
    public static bool IsPostgres(string connection) =>
        connection.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
        || connection.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
        || connection.Contains("Host=", StringComparison.OrdinalIgnoreCase);

    /// <summary>Accepts a libpq URI (postgresql://user:pass@host:port/db) or an Npgsql key=value string.</summary>
    public static string NormalizePostgres(string connection)
    {
        if (!connection.Contains("://", StringComparison.Ordinal))
        {
            return connection;
        }
        var uri = new Uri(connection);
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.Port > 0 ? uri.Port : 5432,
            Database = uri.AbsolutePath.Trim('/'),
        };
        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            builder.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2)
            {
                builder.Password = Uri.UnescapeDataString(parts[1]);
            }
        }
        return builder.ConnectionString;
    }

    /// <summary>How long a SQLite command waits for another process's lock before the API answers 503.</summary>
    public static readonly TimeSpan DefaultBusyTimeout = TimeSpan.FromSeconds(10);

    public static string SqliteConnection(string dataDirectory, TimeSpan? busyTimeout = null) =>
        new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(dataDirectory, "ravioli.db"),
            // Writers in this process queue on the write gate (RavioliDb), so this only bounds the wait for a lock
            // held by another process (a backup, sqlite3 in a shell): long enough to ride out a short one, short
            // enough that a request answers 503 instead of hanging.
            DefaultTimeout = Math.Max(1, (int)(busyTimeout ?? DefaultBusyTimeout).TotalSeconds),
            Pooling = true,
        }.ToString();

    public static void Configure(DbContextOptionsBuilder options, string connection)
    {
        if (IsPostgres(connection))
        {
            // One quick retry of a transient failure: after PostgreSQL restarts, the first request that draws a pooled
            // connection finds it dead (Npgsql only learns when it uses one, then drops the rest); without the retry
            // that request answers 503 although the database is back. One retry, not more, so an outage still answers
            // 503 at once. A dead connection fails before anything was sent, so retrying SaveChanges is safe there;
            // the control plane opens no transactions of its own, which this strategy would refuse.
            options.UseNpgsql(NormalizePostgres(connection), o => o.EnableRetryOnFailure(1, TimeSpan.FromMilliseconds(200), null));
        }
        else
        {
            options.UseSqlite(connection);
        }
        // Migrations are written by hand (no design-time tooling here), so there is no model snapshot to compare with.
        options.ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning));
    }

    /// <summary>Applies every migration not yet applied; with SQLite also switches the file to WAL so readers never block the writer.</summary>
    public static async Task MigrateAsync(RavioliDb db, string? targetMigration = null, CancellationToken ct = default)
    {
        if (db.Database.IsSqlite())
        {
            await db.Database.OpenConnectionAsync(ct);
            try
            {
                await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
            }
            finally
            {
                await db.Database.CloseConnectionAsync();
            }
        }
        var migrator = db.GetService<Microsoft.EntityFrameworkCore.Migrations.IMigrator>();
        await migrator.MigrateAsync(targetMigration, ct);
    }

    /// <summary>A unique index said no: the caller turns this into a 422 "already exists", never a 500.</summary>
    public static bool IsUniqueViolation(Exception e) => Inner(e) switch
    {
        SqliteException s => s.SqliteErrorCode == 19 && s.SqliteExtendedErrorCode is 2067 or 1555,
        PostgresException p => p.SqlState == PostgresErrorCodes.UniqueViolation,
        _ => false,
    };

    /// <summary>A foreign key said no (the parent vanished concurrently).</summary>
    public static bool IsForeignKeyViolation(Exception e) => Inner(e) switch
    {
        SqliteException s => s.SqliteErrorCode == 19 && s.SqliteExtendedErrorCode == 787,
        PostgresException p => p.SqlState == PostgresErrorCodes.ForeignKeyViolation,
        _ => false,
    };

    /// <summary>
    /// The database refused a value itself, not the request's meaning: PostgreSQL cannot store NUL in text (22021) or
    /// an index entry over about 2.7 kB (54000). Validation should catch these first; this keeps a miss a 4xx, not a 500.
    /// </summary>
    public static bool IsUnstorableValue(Exception e) => Inner(e) switch
    {
        PostgresException p => p.SqlState is PostgresErrorCodes.CharacterNotInRepertoire or PostgresErrorCodes.UntranslatableCharacter
            or PostgresErrorCodes.ProgramLimitExceeded,
        _ => false,
    };

    /// <summary>
    /// The database's disk is full (SQLITE_FULL; PostgreSQL's disk_full 53100): nothing was written, since the
    /// statement's transaction rolled back; the API answers 507.
    /// </summary>
    public static bool IsDiskFull(Exception e) => Inner(e) switch
    {
        SqliteException s => s.SqliteErrorCode == 13,
        PostgresException p => p.SqlState == PostgresErrorCodes.DiskFull,
        // ENOSPC: .NET reports the raw errno as the HResult of the IOException.
        IOException io => io.HResult == 28 || io.Message.Contains("No space left on device", StringComparison.Ordinal),
        _ => false,
    };

    /// <summary>SQLite's file is locked by another connection past the busy timeout (SQLITE_BUSY, SQLITE_LOCKED).</summary>
    public static bool IsLocked(Exception e) => Inner(e) is SqliteException { SqliteErrorCode: 5 or 6 };

    /// <summary>The database cannot be reached or is locked: the API answers 503 and the client retries.</summary>
    public static bool IsUnavailable(Exception e) => Inner(e) switch
    {
        SqliteException s => s.SqliteErrorCode is 5 or 6 or 10 or 13 or 14,
        NpgsqlException n => n is not PostgresException || n.IsTransient,
        DbException => false,
        TimeoutException => true,
        _ => false,
    };

    private static Exception Inner(Exception e)
    {
        var current = e;
        while (current is not DbException and not IOException && current.InnerException is not null)
        {
            current = current.InnerException;
        }
        return current;
    }
}
