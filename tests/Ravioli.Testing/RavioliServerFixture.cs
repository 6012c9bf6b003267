using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Ravioli.Api;
using Ravioli.Server;
using Xunit;

namespace Ravioli.Testing;

/// <summary>
/// A real control plane on 127.0.0.1 with a random port and a throwaway data directory. With
/// RAVIOLI_TEST_POSTGRES set (test.sh does), it runs on a fresh PostgreSQL database instead of SQLite.
/// </summary>
public class RavioliServerFixture : IAsyncLifetime
{
    public const string AdminPasswordValue = "admin-password-for-tests";
    private WebApplication? _app;
    private string? _postgresDatabase;

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "ravioli-test-" + Guid.NewGuid().ToString("N")[..12]);
    public string BaseUrl { get; private set; } = "";
    public string AdminPassword => AdminPasswordValue;
    public ManualTimeProvider Time { get; } = new();
    public IServiceProvider Services => _app!.Services;

    /// <summary>
    /// A staged droplet made the app's current one without staging anything (the bits are a few random bytes in the
    /// blob store): for tests about what comes after staging.
    /// </summary>
    public async Task<string> PlantDropletAsync(string appGuid, string processTypes = "{\"web\":\"python3 app.py\",\"worker\":\"python3 worker.py\"}",
        string buildpack = "python_buildpack")
    {
        using var scope = Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<Ravioli.Store.RavioliDb>();
        var blobs = scope.ServiceProvider.GetRequiredService<Ravioli.Store.Blobs.BlobStore>();
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, "droplet-" + Guid.NewGuid());
        var (sha, _) = await blobs.PutFileAsync(file, default);
        File.Delete(file);
        var droplet = new Ravioli.Store.Entities.DropletEntity
        {
            AppGuid = appGuid, State = Ravioli.Core.Apps.DropletStates.Staged, BlobKey = sha, Buildpack = buildpack, ProcessTypes = processTypes,
        };
        db.Droplets.Add(droplet);
        await Ravioli.Api.Apis.DropletsApi.MakeCurrentAsync(db, db.Apps.Single(a => a.Guid == appGuid), droplet, default);
        await db.SaveChangesAsync();
        return droplet.Guid;
    }
    public bool OnPostgres => _postgresDatabase is not null;

    /// <summary>What the server logged while the fixture ran (from <see cref="CapturedLogLevel"/> up).</summary>
    public LogCapture Logs { get; } = new();

    /// <summary>The lowest level <see cref="Logs"/> keeps; a subclass checking debug output for secrets asks for more.</summary>
    protected virtual LogLevel CapturedLogLevel => LogLevel.Information;

    /// <summary>--services for the server: "none" unless a subclass wants built-in brokers.</summary>
    protected virtual string BuiltInServices => "none";

    /// <summary>The PostgreSQL server tests run against, or null for SQLite.</summary>
    public static string? PostgresServer => Environment.GetEnvironmentVariable("RAVIOLI_TEST_POSTGRES") is { Length: > 0 } s ? s : null;

    public virtual async Task InitializeAsync()
    {
        // The built-in brokers start real database servers: only the tests about them ask for them.
        var args = new List<string> { "--data-dir", DataDirectory, "--api-port", "0", "--services", BuiltInServices };
        if (PostgresServer is { } server)
        {
            _postgresDatabase = await CreatePostgresDatabaseAsync(server);
            args.AddRange(["--database", new NpgsqlConnectionStringBuilder(server) { Database = _postgresDatabase }.ConnectionString]);
        }
        _app = RavioliServer.Build([.. args], builder =>
        {
            builder.Configuration["Ravioli:AdminPassword"] = AdminPasswordValue;
            // Hashing cost is not what these tests are about; production keeps 600,000.
            builder.Configuration["Ravioli:PasswordIterations"] = "1000";
            builder.Services.AddSingleton<TimeProvider>(Time);
            builder.Logging.AddProvider(Logs);
            // A rule for this provider alone: it wins over the server's per-category levels, which stay as they are for the console.
            builder.Logging.AddFilter<LogCapture>(null, CapturedLogLevel);
            Configure(builder);
        });
        await Bootstrap.InitializeAsync(_app.Services);
        await _app.StartAsync();
        BaseUrl = RavioliServer.ListeningAddress(_app).ToString().TrimEnd('/');
    }

    protected virtual void Configure(WebApplicationBuilder builder)
    {
    }

    /// <summary>Stops the server but keeps its data, e.g. to inspect the files it leaves behind.</summary>
    public async Task StopAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
            _app = null;
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        NpgsqlConnection.ClearAllPools();
    }

    public virtual async Task DisposeAsync()
    {
        await StopAsync();
        if (_postgresDatabase is not null)
        {
            await using var admin = new NpgsqlConnection(PostgresServer);
            await admin.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{_postgresDatabase}\" WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync();
        }
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    public static async Task<string> CreatePostgresDatabaseAsync(string server)
    {
        var name = "ravioli_test_" + Guid.NewGuid().ToString("N")[..12];
        await using var admin = new NpgsqlConnection(server);
        await admin.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", admin);
        await create.ExecuteNonQueryAsync();
        return name;
    }

    public HttpClient Anonymous() => new() { BaseAddress = new Uri(BaseUrl) };

    public async Task<HttpClient> AdminClientAsync() => await LoginAsync("admin", AdminPasswordValue);

    public async Task<HttpClient> LoginAsync(string username, string password)
    {
        var tokens = await TokensAsync(username, password);
        var client = Anonymous();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tokens.GetProperty("access_token").GetString());
        return client;
    }

    public async Task<JsonElement> TokensAsync(string username, string password)
    {
        using var anonymous = Anonymous();
        using var response = await anonymous.PostAsync("/oauth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "password",
            ["username"] = username,
            ["password"] = password,
        }));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"login as {username} failed: {(int)response.StatusCode} {body}");
        }
        return body;
    }
}
