using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Ravioli.Testing;
using Xunit;

namespace Ravioli.Api.Tests.Faults;

/// <summary>Another process holds SQLite's write lock for longer than the busy timeout: 503s, then recovery on its own.</summary>
public sealed class SqliteLockedTests(SqliteLockedTests.ShortBusyTimeout server) : IClassFixture<SqliteLockedTests.ShortBusyTimeout>
{
    /// <summary>A 2 s busy timeout, so each locked request answers in seconds rather than the default 10.</summary>
    public sealed class ShortBusyTimeout : RavioliServerFixture
    {
        protected override void Configure(WebApplicationBuilder builder) =>
            builder.Configuration["Ravioli:DatabaseBusyTimeout"] = "00:00:02";
    }

    private string DatabasePath => Path.Combine(server.DataDirectory, "ravioli.db");

    /// <summary>What `sqlite3 ravioli.db` with `BEGIN EXCLUSIVE;` does: a connection of its own, outside the server's pool, holding the write lock.</summary>
    private async Task<SqliteConnection> LockAsync()
    {
        var holder = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ToString());
        await holder.OpenAsync();
        await using var begin = holder.CreateCommand();
        begin.CommandText = "BEGIN EXCLUSIVE;";
        await begin.ExecuteNonQueryAsync();
        return holder;
    }

    [SqliteOnlyFact]
    public async Task Writes_answer_503_with_retry_after_while_locked_reads_go_on_and_all_recovers_without_a_restart()
    {
        using var admin = await server.AdminClientAsync();
        using var client = new HttpClient { BaseAddress = admin.BaseAddress, Timeout = TimeSpan.FromSeconds(100) };
        client.DefaultRequestHeaders.Authorization = admin.DefaultRequestHeaders.Authorization;
        var org = (await client.PostJsonAsync("/v3/organizations", new { name = "locked-" + Guid.NewGuid().ToString("N")[..8] })).Expect(HttpStatusCode.Created).Guid();
        var space = (await client.PostJsonAsync("/v3/spaces", new { name = "s", relationships = new { organization = new { data = new { guid = org } } } })).Expect(HttpStatusCode.Created).Guid();

        var holder = await LockAsync();
        try
        {
            // Several writers at once: the first waits out the busy timeout, the ones queued behind it must not wait longer than that each.
            var writes = Enumerable.Range(0, 4).Select(i => client.PostAsync("/v3/apps", System.Net.Http.Json.JsonContent.Create(new
            {
                name = $"app-{i}",
                relationships = new { space = new { data = new { guid = space } } },
            }))).ToList();
            foreach (var response in await Task.WhenAll(writes))
            {
                using (response)
                {
                    var body = await response.Content.ReadAsStringAsync();
                    Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)response.StatusCode}: {body}");
                    Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                    Assert.Contains("locked by another process", body, StringComparison.Ordinal);
                    Assert.Contains("urn:ravioli:problem:unavailable", body, StringComparison.Ordinal);
                    Assert.NotNull(response.Headers.RetryAfter);
                }
            }
            // WAL: readers never wait for the writer, so listing goes on while the lock is held.
            (await client.GetJsonAsync($"/v3/apps?space_guids={space}")).Expect(HttpStatusCode.OK);
            (await client.GetJsonAsync("/healthz")).Expect(HttpStatusCode.OK);
        }
        finally
        {
            await holder.DisposeAsync();
        }

        // Nothing half-written: no app and no orphan web process from the refused creates.
        var apps = (await client.GetJsonAsync($"/v3/apps?space_guids={space}")).Expect(HttpStatusCode.OK);
        Assert.Equal(0, apps.GetProperty("pagination").GetProperty("total_results").GetInt32());
        Assert.Equal(0L, await ScalarAsync("SELECT count(*) FROM processes WHERE app_guid NOT IN (SELECT guid FROM apps)"));

        // The same request, with nothing restarted.
        (await client.PostJsonAsync("/v3/apps", new { name = "app-0", relationships = new { space = new { data = new { guid = space } } } })).Expect(HttpStatusCode.Created);
        Assert.Equal("ok", await ScalarAsync("PRAGMA integrity_check"));
    }

    private async Task<object?> ScalarAsync(string sql)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }
}
