using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Ravioli.Store;
using Ravioli.Server;
using Ravioli.Testing;
using Xunit;

namespace Ravioli.Api.Tests;

/// <summary>What must hold across restarts and on disk: keys, the admin password, encryption at rest.</summary>
public sealed class RestartTests
{
    private sealed class GeneratedPasswordServer : RavioliServerFixture
    {
        public string DataDir => DataDirectory;

        protected override void Configure(Microsoft.AspNetCore.Builder.WebApplicationBuilder builder) =>
            builder.Configuration["Ravioli:AdminPassword"] = "";
    }

    [Fact]
    public async Task First_start_writes_a_generated_admin_password_readable_only_by_the_owner()
    {
        var server = new GeneratedPasswordServer();
        await server.InitializeAsync();
        try
        {
            var file = Path.Combine(server.DataDir, "admin-password");
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            var password = (await File.ReadAllTextAsync(file)).Trim();
            Assert.True(password.Length >= 20);
            using var admin = await server.LoginAsync("admin", password);
            (await admin.GetJsonAsync("/v3/organizations")).Expect(HttpStatusCode.OK);
            foreach (var key in Directory.GetFiles(Path.Combine(server.DataDir, "keys")))
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
            }
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.Combine(server.DataDir, "keys")));
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task Tokens_and_data_survive_a_restart_on_the_same_data_directory()
    {
        var dataDir = Directory.CreateTempSubdirectory("ravioli-restart-").FullName;
        try
        {
            string token, org;
            await using (var first = RavioliServer.Build(["--data-dir", dataDir, "--api-port", "0"], b => b.Configuration["Ravioli:AdminPassword"] = "restart-password"))
            {
                await Bootstrap.InitializeAsync(first.Services);
                await first.StartAsync();
                using var client = new HttpClient { BaseAddress = RavioliServer.ListeningAddress(first) };
                token = await LoginAsync(client, "restart-password");
                client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
                org = (await client.PostJsonAsync("/v3/organizations", new { name = "kept" })).Expect(HttpStatusCode.Created).Guid();
                await first.StopAsync();
            }
            // A different env password on the second start must not reset the admin created on the first.
            await using var second = RavioliServer.Build(["--data-dir", dataDir, "--api-port", "0"], b => b.Configuration["Ravioli:AdminPassword"] = "ignored-now");
            await Bootstrap.InitializeAsync(second.Services);
            await second.StartAsync();
            using var again = new HttpClient { BaseAddress = RavioliServer.ListeningAddress(second) };
            again.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            Assert.Equal("kept", (await again.GetJsonAsync($"/v3/organizations/{org}")).Expect(HttpStatusCode.OK).GetProperty("name").GetString());
            await LoginAsync(again, "restart-password");
            await second.StopAsync();
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(dataDir, recursive: true);
        }
    }

    [Fact]
    public async Task Environment_variables_are_encrypted_in_the_database()
    {
        var server = new RavioliServerFixture();
        await server.InitializeAsync();
        try
        {
            using var admin = await server.AdminClientAsync();
            var org = (await admin.PostJsonAsync("/v3/organizations", new { name = "enc" })).Expect(HttpStatusCode.Created).Guid();
            var space = (await admin.PostJsonAsync("/v3/spaces", new { name = "s", relationships = new { organization = new { data = new { guid = org } } } })).Expect(HttpStatusCode.Created).Guid();
            (await admin.PostJsonAsync("/v3/apps", new
            {
                name = "a",
                relationships = new { space = new { data = new { guid = space } } },
                environment_variables = new Dictionary<string, string> { ["DB_PASSWORD"] = "plaintext-canary-4711" },
            })).Expect(HttpStatusCode.Created);

            await using (var scope = server.Services.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<RavioliDb>();
                var stored = await db.Database.SqlQueryRaw<string>("SELECT environment_variables AS \"Value\" FROM apps").ToListAsync();
                var raw = Assert.Single(stored);
                Assert.StartsWith("v1:", raw, StringComparison.Ordinal);
                Assert.DoesNotContain("plaintext-canary-4711", raw, StringComparison.Ordinal);
                Assert.DoesNotContain("DB_PASSWORD", raw, StringComparison.Ordinal);
            }
            if (!server.OnPostgres)
            {
                await server.StopAsync();
                var files = string.Concat(Directory.GetFiles(server.DataDirectory, "ravioli.db*").Select(f => Encoding.Latin1.GetString(File.ReadAllBytes(f))));
                Assert.Contains("audit.app.create", files, StringComparison.Ordinal);
                Assert.DoesNotContain("plaintext-canary-4711", files, StringComparison.Ordinal);
            }
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    private static async Task<string> LoginAsync(HttpClient client, string password)
    {
        using var response = await client.PostAsync("/oauth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "password",
            ["username"] = "admin",
            ["password"] = password,
        }));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString()!;
    }
}
