using Microsoft.EntityFrameworkCore;
using Npgsql;
using Ravioli.Testing;

namespace Ravioli.Store.Tests;

/// <summary>A fresh, empty database per test: SQLite in a temp file, or PostgreSQL when RAVIOLI_TEST_POSTGRES is set.</summary>
public sealed class ScratchDatabase : IAsyncDisposable
{
    private readonly string? _postgresDatabase;
    private readonly string _directory;

    private ScratchDatabase(string connection, string? postgresDatabase, string directory)
    {
        Connection = connection;
        _postgresDatabase = postgresDatabase;
        _directory = directory;
    }

    public string Connection { get; }

    public static async Task<ScratchDatabase> CreateAsync()
    {
        var directory = Directory.CreateTempSubdirectory("ravioli-store-").FullName;
        if (RavioliServerFixture.PostgresServer is { } server)
        {
            var name = await RavioliServerFixture.CreatePostgresDatabaseAsync(server);
            return new ScratchDatabase(new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString, name, directory);
        }
        return new ScratchDatabase(StoreSetup.SqliteConnection(directory), null, directory);
    }

    public RavioliDb Open()
    {
        var options = new DbContextOptionsBuilder<RavioliDb>();
        StoreSetup.Configure(options, Connection);
        return new RavioliDb(options.Options);
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (_postgresDatabase is not null)
        {
            await using var admin = new NpgsqlConnection(RavioliServerFixture.PostgresServer);
            await admin.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{_postgresDatabase}\" WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync();
        }
        Directory.Delete(_directory, recursive: true);
    }
}
