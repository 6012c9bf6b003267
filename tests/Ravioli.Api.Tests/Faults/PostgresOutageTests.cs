using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Ravioli.Staging.Running;
using Ravioli.Testing;
using Xunit;

namespace Ravioli.Api.Tests.Faults;

/// <summary>PostgreSQL stopped and started under a running control plane: 503s meanwhile, recovery on its own, nothing half-written.</summary>
public sealed class PostgresOutageTests(PostgresOutageTests.OwnCluster server) : IClassFixture<PostgresOutageTests.OwnCluster>
{
    /// <summary>A control plane on a PostgreSQL cluster of its own (as scripts/lib.sh's pg_start makes one), so stopping it disturbs no other test.</summary>
    public sealed class OwnCluster : RavioliServerFixture
    {
        private readonly string _directory = Path.Combine(Path.GetTempPath(), "ravioli-pgfault-" + Guid.NewGuid().ToString("N")[..8]);
        private string _bin = "";
        private bool _created;

        public int Port { get; private set; }

        public string ConnectionString => new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = Port,
            Username = "postgres",
            Database = "postgres",
            // Connection refused is immediate; this bounds the rest (a cluster still starting up).
            Timeout = 5,
        }.ConnectionString;

        public override async Task InitializeAsync()
        {
            if (PostgresServer is null)
            {
                return;
            }
            _bin = Directory.GetDirectories("/usr/lib/postgresql").OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0).First() + "/bin";
            using (var probe = new TcpListener(IPAddress.Loopback, 0))
            {
                probe.Start();
                Port = ((IPEndPoint)probe.LocalEndpoint).Port;
            }
            await Shell.RunAsync("install", "-d", "-o", "postgres", "-m", "0700", _directory);
            _created = true;
            await AsPostgresAsync($"{_bin}/initdb -D '{_directory}/data' -A trust -U postgres --no-sync -E UTF8");
            await StartClusterAsync();
            await base.InitializeAsync();
        }

        protected override void Configure(WebApplicationBuilder builder)
        {
            builder.Configuration["Ravioli:Database"] = ConnectionString;
            builder.Services.AddSingleton<IStagingRunner>(new ProcessStagingRunner());
        }

        public Task StartClusterAsync() => AsPostgresAsync(
            $"{_bin}/pg_ctl -D '{_directory}/data' -o \"-p {Port} -k '{_directory}' -c listen_addresses=127.0.0.1 -c fsync=off\" -l '{_directory}/log' -w start");

        public Task StopClusterAsync() => AsPostgresAsync($"{_bin}/pg_ctl -D '{_directory}/data' -m fast -w stop");

        private static Task<string> AsPostgresAsync(string command) => Shell.RunAsync("su", "postgres", "-c", command);

        public override async Task DisposeAsync()
        {
            await StopAsync();
            if (_created)
            {
                try
                {
                    await StopClusterAsync();
                }
                catch (InvalidOperationException)
                {
                    // Already stopped by a failed test.
                }
                Directory.Delete(_directory, recursive: true);
            }
            await base.DisposeAsync();
        }
    }

    [PostgresOnlyFact]
    public async Task The_api_answers_503_while_postgres_is_down_and_recovers_by_itself_with_nothing_half_written()
    {
        using var admin = await server.AdminClientAsync();
        using var anonymous = server.Anonymous();
        var org = (await admin.PostJsonAsync("/v3/organizations", new { name = "pg-outage" })).Expect(HttpStatusCode.Created).Guid();
        var space = (await admin.PostJsonAsync("/v3/spaces", new { name = "s", relationships = new { organization = new { data = new { guid = org } } } })).Expect(HttpStatusCode.Created).Guid();
        var (_, package) = await World.NewPackageAsync(admin, "pg-stage");
        var (uploaded, uploadBody, uploadResponse) = await World.UploadAsync(admin, package, World.BinaryAppZip(ballastBytes: 8 << 20));
        uploadResponse.Dispose();
        Assert.True(uploaded == HttpStatusCode.OK, uploadBody);

        // Writers keep creating apps (app + web process + audit event, one transaction) while the database goes away under them.
        using var stop = new CancellationTokenSource();
        var statuses = new ConcurrentBag<HttpStatusCode>();
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var (status, body) = await admin.PostJsonAsync("/v3/apps", new { name = $"w{w}-{i}", relationships = new { space = new { data = new { guid = space } } } });
                statuses.Add(status);
                Assert.True(status is HttpStatusCode.Created or HttpStatusCode.ServiceUnavailable, $"{(int)status}: {body}");
            }
        })).ToList();
        await Poll.UntilAsync(() => Task.FromResult(statuses.Count), n => n >= 8, "some apps created before the outage");

        // A build in flight when the database stops: staging must resume by itself, not die with the outage.
        var build = await World.StageAsync(admin, package);
        await server.StopClusterAsync();
        await Poll.UntilAsync(() => Task.FromResult(statuses.Count(s => s == HttpStatusCode.ServiceUnavailable)), n => n >= 4, "writers to see the outage");

        using (var response = await admin.GetAsync("/v3/organizations"))
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)response.StatusCode}: {body}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains("cannot be reached", body, StringComparison.Ordinal);
            Assert.NotNull(response.Headers.RetryAfter);
        }
        using (var health = await anonymous.GetAsync("/healthz"))
        {
            var body = await health.Content.ReadAsStringAsync();
            Assert.True(health.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)health.StatusCode}: {body}");
            Assert.Contains("\"database\":\"unavailable\"", body, StringComparison.Ordinal);
        }
        // Logging in writes a refresh token: the same clear 503, not a 500.
        using (var login = await anonymous.PostAsync("/oauth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "password", ["username"] = "admin", ["password"] = server.AdminPassword,
        })))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, login.StatusCode);
        }

        await server.StartClusterAsync();
        await Poll.UntilAsync(async () => (await anonymous.GetAsync("/healthz")).StatusCode, s => s == HttpStatusCode.OK, "/healthz to recover");
        // The pool must not hand out connections that died with the old server: every request from here on succeeds.
        for (var i = 0; i < 20; i++)
        {
            (await admin.GetJsonAsync("/v3/organizations")).Expect(HttpStatusCode.OK);
        }
        await stop.CancelAsync();
        await Task.WhenAll(writers);
        Assert.Contains(HttpStatusCode.Created, statuses);

        // All or nothing: every app has its web process and its audit event, and no process lost its app.
        await using (var db = new NpgsqlConnection(server.ConnectionString))
        {
            await db.OpenAsync();
            async Task<long> CountAsync(string sql)
            {
                await using var command = new NpgsqlCommand(sql, db);
                return (long)(await command.ExecuteScalarAsync())!;
            }
            Assert.Equal(0, await CountAsync("SELECT count(*) FROM apps a WHERE NOT EXISTS (SELECT 1 FROM processes p WHERE p.app_guid = a.guid)"));
            Assert.Equal(0, await CountAsync("SELECT count(*) FROM processes p WHERE NOT EXISTS (SELECT 1 FROM apps a WHERE a.guid = p.app_guid)"));
            Assert.Equal(0, await CountAsync("SELECT count(*) FROM apps a WHERE NOT EXISTS (SELECT 1 FROM audit_events e WHERE e.target_guid = a.guid)"));
            // A 201 was written; a 503 normally was not (a COMMIT whose acknowledgement died with the server is the exception).
            Assert.InRange(await CountAsync($"SELECT count(*) FROM apps WHERE space_guid = '{space}'"),
                statuses.Count(s => s == HttpStatusCode.Created), statuses.Count(s => s == HttpStatusCode.Created) + writers.Count);
        }

        // A restart while the control plane sat idle: its pooled connections died without it noticing.
        (await admin.GetJsonAsync("/v3/organizations")).Expect(HttpStatusCode.OK);
        await server.StopClusterAsync();
        await server.StartClusterAsync();
        var afterIdleRestart = new List<HttpStatusCode>();
        for (var i = 0; i < 10; i++)
        {
            afterIdleRestart.Add((await admin.GetJsonAsync("/v3/organizations")).Status);
        }
        Assert.All(afterIdleRestart, s => Assert.Equal(HttpStatusCode.OK, s));

        var staged = await World.FinishedBuildAsync(admin, build);
        Assert.True(staged.GetProperty("state").GetString() == "STAGED", staged.ToString());
        var (_, again) = await World.NewPackageAsync(admin, "pg-after");
        var (reuploaded, reuploadBody, reuploadResponse) = await World.UploadAsync(admin, again, World.BinaryAppZip());
        reuploadResponse.Dispose();
        Assert.True(reuploaded == HttpStatusCode.OK, reuploadBody);
        var after = await World.FinishedBuildAsync(admin, await World.StageAsync(admin, again));
        Assert.True(after.GetProperty("state").GetString() == "STAGED", after.ToString());
    }
}
