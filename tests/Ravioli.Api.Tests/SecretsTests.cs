using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Ravioli.Services.Osb;
using Ravioli.Testing;
using Xunit;

namespace Ravioli.Api.Tests;

/// <summary>
/// Every kind of secret the platform handles (env var values, user-provided and broker-issued credentials, service
/// parameters, broker and user passwords, access and refresh tokens) goes through the API once, including through
/// requests that fail. None may then be found in the server log (captured at Debug), in audit events, in any error
/// answer, in what roles without access get back, or in the bytes the database keeps.
/// </summary>
public sealed class SecretsTests(SecretsTests.World world) : IClassFixture<SecretsTests.World>
{
    public sealed class World : RavioliServerFixture
    {
        private static string Secret(string kind) => $"{kind}-{Guid.NewGuid():N}";

        public readonly string EnvValue = Secret("env-value"), EnvPatched = Secret("env-patched"), UpsPassword = Secret("ups-password"), UpsRotated = Secret("ups-rotated"),
            Parameter = Secret("param"), BindParameter = Secret("bind-param"), UserPassword = Secret("user-password"), UserPasswordChanged = Secret("user-password-2"),
            WrongPassword = Secret("wrong-password"), WrongBrokerPassword = Secret("wrong-broker-password"), InvalidEnvValue = Secret("invalid-env-value");

        /// <summary>Secrets the platform made or was given during the run: tokens, broker-issued credentials.</summary>
        public readonly List<string> Issued = [];

        /// <summary>Every answer to a request that failed on purpose, status and body.</summary>
        public readonly List<string> ErrorAnswers = [];

        public TestBroker Broker { get; } = new();
        public HttpClient Admin = null!, Developer = null!, Auditor = null!, Manager = null!;
        public string Org = "", Space = "", App = "", Ups = "", Managed = "", AppBinding = "", Key = "", UpsKey = "", BrokerGuid = "", User = "";

        protected override LogLevel CapturedLogLevel => LogLevel.Debug;

        protected override void Configure(WebApplicationBuilder builder) =>
            builder.Services.AddSingleton(new OsbClientOptions { RequestTimeout = TimeSpan.FromSeconds(5) });

        public IEnumerable<string> AllSecrets =>
        [
            EnvValue, EnvPatched, UpsPassword, UpsRotated, Parameter, BindParameter, UserPassword, UserPasswordChanged, WrongPassword, WrongBrokerPassword,
            InvalidEnvValue, TestBroker.Password, AdminPasswordValue, .. Issued,
        ];

        private static object Ref(string guid) => new { data = new { guid } };

        private async Task<string> CreateAsync(string path, object body, HttpStatusCode expected = HttpStatusCode.Created) =>
            (await Admin.PostJsonAsync(path, body)).Expect(expected).Guid();

        private async Task FailAsync(HttpClient client, HttpMethod method, string path, object body)
        {
            var (status, answer) = await client.SendAsync(method, path, body);
            Assert.True((int)status is >= 400 and < 500, $"{method} {path} should fail: {(int)status} {answer}");
            ErrorAnswers.Add($"{method} {path} → {(int)status} {answer}");
        }

        private async Task<HttpClient> UserWithRoleAsync(string name, string type)
        {
            var guid = await CreateAsync("/v3/users", new { username = name, password = "password-" + name });
            await CreateAsync("/v3/roles", new { type = "organization_user", relationships = new { user = Ref(guid), organization = Ref(Org) } });
            await CreateAsync("/v3/roles", type.StartsWith("organization", StringComparison.Ordinal)
                ? new { type, relationships = (object)new { user = Ref(guid), organization = Ref(Org) } }
                : new { type, relationships = (object)new { user = Ref(guid), space = Ref(Space) } });
            var tokens = await TokensAsync(name, "password-" + name);
            Issued.Add(tokens.GetProperty("access_token").GetString()!);
            Issued.Add(tokens.GetProperty("refresh_token").GetString()!);
            return await LoginAsync(name, "password-" + name);
        }

        private async Task<string> WaitAsync(string path)
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (true)
            {
                var body = (await Admin.GetJsonAsync(path)).Expect(HttpStatusCode.OK);
                if (body.GetProperty("last_operation").GetProperty("state").GetString() != "in progress")
                {
                    return body.Guid();
                }
                Assert.True(DateTime.UtcNow < deadline, $"{path} stayed in progress");
                await Task.Delay(100);
            }
        }

        public override async Task InitializeAsync()
        {
            await Broker.InitializeAsync();
            await base.InitializeAsync();
            var adminTokens = await TokensAsync("admin", AdminPasswordValue);
            Issued.Add(adminTokens.GetProperty("access_token").GetString()!);
            Issued.Add(adminTokens.GetProperty("refresh_token").GetString()!);
            Admin = await AdminClientAsync();
            Org = await CreateAsync("/v3/organizations", new { name = "secrets" });
            Space = await CreateAsync("/v3/spaces", new { name = "s", relationships = new { organization = Ref(Org) } });
            App = await CreateAsync("/v3/apps", new { name = "a", relationships = new { space = Ref(Space) }, environment_variables = new Dictionary<string, string> { ["API_KEY"] = EnvValue } });
            (await Admin.PatchJsonAsync($"/v3/apps/{App}/environment_variables", new { var = new Dictionary<string, string> { ["DB_PASSWORD"] = EnvPatched } })).Expect(HttpStatusCode.OK);

            BrokerGuid = await CreateAsync("/v3/service_brokers", ServicesFixture.BrokerBody("secret-broker", Broker.Url));
            var plan = (await Admin.GetJsonAsync($"/v3/service_plans?service_broker_guids={BrokerGuid}&names=small")).Expect(HttpStatusCode.OK).GetProperty("resources")[0].Guid();
            (await Admin.PatchJsonAsync($"/v3/service_plans/{plan}/visibility", new { type = "public" })).Expect(HttpStatusCode.OK);
            Ups = await CreateAsync("/v3/service_instances", new { type = "user-provided", name = "ups", relationships = new { space = Ref(Space) }, credentials = new { password = UpsPassword } });
            (await Admin.PatchJsonAsync($"/v3/service_instances/{Ups}", new { credentials = new { password = UpsRotated } })).Expect(HttpStatusCode.OK);
            UpsKey = await CreateAsync("/v3/service_credential_bindings", new { type = "key", name = "ups-key", relationships = new { service_instance = Ref(Ups) } });
            Managed = await CreateAsync("/v3/service_instances",
                new { type = "managed", name = "db", relationships = new { space = Ref(Space), service_plan = Ref(plan) }, parameters = new { admin_password = Parameter } }, HttpStatusCode.Accepted);
            await WaitAsync($"/v3/service_instances/{Managed}");
            AppBinding = await CreateAsync("/v3/service_credential_bindings", new { type = "app", relationships = new { service_instance = Ref(Managed), app = Ref(App) }, parameters = new { token = BindParameter } }, HttpStatusCode.Accepted);
            await WaitAsync($"/v3/service_credential_bindings/{AppBinding}");
            Key = await CreateAsync("/v3/service_credential_bindings", new { type = "key", name = "laptop", relationships = new { service_instance = Ref(Managed) } }, HttpStatusCode.Accepted);
            await WaitAsync($"/v3/service_credential_bindings/{Key}");
            foreach (var (id, binding) in Broker.Bindings)
            {
                Issued.Add(binding["credentials"]!["password"]!.GetValue<string>());
                Issued.Add(binding["credentials"]!["uri"]!.GetValue<string>());
            }
            Assert.True(Issued.Count >= 4, "the broker should have issued credentials");

            User = await CreateAsync("/v3/users", new { username = "secret-user", password = UserPassword });
            using (var self = await LoginAsync("secret-user", UserPassword))
            {
                (await self.PatchJsonAsync($"/v3/users/{User}", new { password = UserPasswordChanged, current_password = UserPassword })).Expect(HttpStatusCode.OK);
            }

            Developer = await UserWithRoleAsync("dev", "space_developer");
            Auditor = await UserWithRoleAsync("auditor", "space_auditor");
            Manager = await UserWithRoleAsync("manager", "organization_manager");

            // Requests that fail while carrying a secret: the answer must not repeat it.
            using (var anonymous = Anonymous())
            {
                using var login = await anonymous.PostAsync("/oauth/token", new FormUrlEncodedContent([new("grant_type", "password"), new("username", "secret-user"), new("password", WrongPassword)]));
                ErrorAnswers.Add($"login → {(int)login.StatusCode} {await login.Content.ReadAsStringAsync()}");
                using var refresh = await anonymous.PostAsync("/oauth/token", new FormUrlEncodedContent([new("grant_type", "refresh_token"), new("refresh_token", WrongPassword)]));
                ErrorAnswers.Add($"refresh → {(int)refresh.StatusCode} {await refresh.Content.ReadAsStringAsync()}");
            }
            await FailAsync(Admin, HttpMethod.Post, "/v3/service_brokers", ServicesFixture.BrokerBody("wrong-pw", Broker.Url, WrongBrokerPassword));
            await FailAsync(Admin, HttpMethod.Post, "/v3/service_brokers", new { name = "in-url", url = $"http://user:{WrongBrokerPassword}@127.0.0.1:9", authentication = new { type = "basic", credentials = new { username = "u", password = WrongBrokerPassword } } });
            await FailAsync(Admin, HttpMethod.Patch, $"/v3/apps/{App}/environment_variables", new { var = new Dictionary<string, string> { ["1BAD"] = InvalidEnvValue } });
            await FailAsync(Admin, HttpMethod.Patch, $"/v3/apps/{App}/environment_variables", $"{{\"var\": {{\"A\": {{\"nested\": \"{InvalidEnvValue}\"}}}}}}");
            await FailAsync(Admin, HttpMethod.Patch, $"/v3/apps/{App}/environment_variables", $"{{\"var\": {{\"A\": \"{InvalidEnvValue}\\u0000\"}}}}");
            await FailAsync(Admin, HttpMethod.Post, "/v3/users", new { username = "bad name", password = WrongPassword });
            await FailAsync(Admin, HttpMethod.Post, "/v3/users", $"{{\"username\": \"x\", \"password\": \"{WrongPassword}\", \"password\": \"{WrongPassword}\"}}");
            await FailAsync(Admin, HttpMethod.Post, "/v3/service_instances", new { type = "user-provided", name = "big", relationships = new { space = Ref(Space) }, credentials = new { password = InvalidEnvValue, pad = new string('p', 70_000) } });
            await FailAsync(Admin, HttpMethod.Post, "/v3/service_instances", new { type = "managed", name = "creds", relationships = new { space = Ref(Space), service_plan = Ref(plan) }, credentials = new { password = InvalidEnvValue } });
            await FailAsync(Developer, HttpMethod.Patch, $"/v3/users/{User}", new { password = WrongPassword, current_password = WrongPassword });
            await FailAsync(Auditor, HttpMethod.Patch, $"/v3/apps/{App}/environment_variables", new { var = new Dictionary<string, string> { ["X"] = InvalidEnvValue } });
        }

        public override async Task DisposeAsync()
        {
            foreach (var client in new[] { Admin, Developer, Auditor, Manager })
            {
                client?.Dispose();
            }
            await base.DisposeAsync();
            await Broker.DisposeAsync();
        }
    }

    private static void AssertNoSecret(IEnumerable<string> secrets, string text, string where)
    {
        var found = secrets.Where(s => text.Contains(s, StringComparison.Ordinal)).ToList();
        Assert.True(found.Count == 0, $"{where} holds {found.Count} secret(s): {string.Join(", ", found.Select(s => s[..Math.Min(24, s.Length)] + "…"))}");
    }

    [Fact]
    public void The_server_log_holds_no_secret_even_at_debug_level()
    {
        var log = world.Logs.AllText();
        Assert.True(world.Logs.Lines.Count > 100, $"the capture should have seen the run ({world.Logs.Lines.Count} lines)");
        AssertNoSecret(world.AllSecrets, log, "the server log");
        // Nothing failed unexpectedly on the way (EF Core's own error line for the first migration history read is its business).
        Assert.DoesNotContain(world.Logs.Lines, l => l.Level >= LogLevel.Error && l.Category.StartsWith("Ravioli.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Audit_events_hold_no_secret()
    {
        var events = (await world.Admin.GetJsonAsync("/v3/audit_events?per_page=5000")).Expect(HttpStatusCode.OK);
        Assert.True(events.GetProperty("pagination").GetProperty("total_results").GetInt32() > 10);
        AssertNoSecret(world.AllSecrets, events.GetRawText(), "the audit events");
    }

    [Fact]
    public void Error_answers_hold_no_secret()
    {
        Assert.True(world.ErrorAnswers.Count >= 12);
        foreach (var answer in world.ErrorAnswers)
        {
            AssertNoSecret(world.AllSecrets, answer, answer[..Math.Min(120, answer.Length)]);
        }
    }

    /// <summary>What each role gets back from every read that touches a secret, or the resource that owns one.</summary>
    private IEnumerable<string> Reads() =>
    [
        $"/v3/apps/{world.App}", $"/v3/apps/{world.App}/environment_variables", $"/v3/apps/{world.App}/env", "/v3/apps",
        $"/v3/service_instances/{world.Ups}", $"/v3/service_instances/{world.Ups}/credentials", $"/v3/service_instances/{world.Managed}",
        $"/v3/service_instances/{world.Managed}/parameters", "/v3/service_instances", $"/v3/service_credential_bindings/{world.AppBinding}",
        $"/v3/service_credential_bindings/{world.AppBinding}/details", $"/v3/service_credential_bindings/{world.Key}/details",
        $"/v3/service_credential_bindings/{world.UpsKey}/details", "/v3/service_credential_bindings?include=app,service_instance",
        $"/v3/service_brokers/{world.BrokerGuid}", "/v3/service_brokers", $"/v3/users/{world.User}", "/v3/users", "/v3/audit_events?per_page=5000",
        $"/v3/processes/{world.App}", "/v3/service_offerings", "/v3/service_plans",
    ];

    [Theory]
    [InlineData("auditor")]
    [InlineData("manager")]
    public async Task Roles_that_may_not_see_secrets_get_none_back(string role)
    {
        var client = role == "auditor" ? world.Auditor : world.Manager;
        foreach (var path in Reads())
        {
            using var response = await client.GetAsync(path);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True((int)response.StatusCode < 500, $"{role} GET {path}: {(int)response.StatusCode}");
            AssertNoSecret(world.AllSecrets, body, $"{role} GET {path} ({(int)response.StatusCode})");
        }
        // The secret-bearing sub-resources are refused outright, not answered empty.
        foreach (var path in new[] { $"/v3/apps/{world.App}/environment_variables", $"/v3/apps/{world.App}/env", $"/v3/service_instances/{world.Ups}/credentials",
            $"/v3/service_instances/{world.Managed}/parameters", $"/v3/service_credential_bindings/{world.AppBinding}/details", $"/v3/service_credential_bindings/{world.Key}/details" })
        {
            (await client.GetJsonAsync(path)).Expect(HttpStatusCode.Forbidden);
        }
    }

    [Fact]
    public async Task Developers_find_secrets_only_in_the_sub_resources_made_for_them()
    {
        var subResources = new[] { "/environment_variables", "/env", "/credentials", "/parameters", "/details" };
        foreach (var path in Reads())
        {
            using var response = await world.Developer.GetAsync(path);
            var body = await response.Content.ReadAsStringAsync();
            if (!subResources.Any(s => path.EndsWith(s, StringComparison.Ordinal)))
            {
                AssertNoSecret(world.AllSecrets, body, $"developer GET {path}");
            }
        }
        Assert.Contains(world.UpsRotated, await world.Developer.GetStringAsync($"/v3/service_instances/{world.Ups}/credentials"), StringComparison.Ordinal);
        Assert.Contains(world.EnvPatched, await world.Developer.GetStringAsync($"/v3/apps/{world.App}/environment_variables"), StringComparison.Ordinal);
        Assert.Contains(world.Parameter, await world.Developer.GetStringAsync($"/v3/service_instances/{world.Managed}/parameters"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_node_api_with_every_apps_environment_is_closed_to_users()
    {
        foreach (var client in new[] { world.Admin, world.Developer })
        {
            using var response = await client.GetAsync("/internal/v1/desired");
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            AssertNoSecret(world.AllSecrets, await response.Content.ReadAsStringAsync(), "/internal/v1/desired");
        }
    }

    [Fact]
    public async Task The_database_keeps_no_secret_in_plaintext()
    {
        var options = world.Services.GetRequiredService<IOptions<RavioliApiOptions>>().Value;
        // Passwords and tokens must not be there at all; what the platform must read back (credentials, env, parameters) only sealed.
        var secrets = world.AllSecrets.ToList();
        if (!world.OnPostgres)
        {
            var files = Directory.GetFiles(world.DataDirectory, "ravioli.db*");
            Assert.Contains(files, f => f.EndsWith("ravioli.db", StringComparison.Ordinal));
            foreach (var file in files)
            {
                var bytes = await ReadSharedAsync(file);
                foreach (var secret in secrets)
                {
                    Assert.True(bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(secret)) < 0 && bytes.AsSpan().IndexOf(Encoding.Unicode.GetBytes(secret)) < 0,
                        $"{Path.GetFileName(file)} holds {secret[..Math.Min(24, secret.Length)]}… in plaintext");
                }
            }
            return;
        }
        await using var connection = new NpgsqlConnection(options.Database);
        await connection.OpenAsync();
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'", connection))
        await using (var reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }
        foreach (var table in tables)
        {
            await using var dump = new NpgsqlCommand($"SELECT coalesce(string_agg(row_to_json(t)::text, E'\\n'), '') FROM \"{table}\" t", connection);
            var text = (string)(await dump.ExecuteScalarAsync())!;
            AssertNoSecret(secrets, text, $"table {table}");
        }
    }

    private static async Task<byte[]> ReadSharedAsync(string path)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    [Fact]
    public async Task Files_the_platform_writes_besides_its_keys_hold_no_secret()
    {
        foreach (var file in Directory.EnumerateFiles(world.DataDirectory, "*", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}keys{Path.DirectorySeparatorChar}", StringComparison.Ordinal)))
        {
            var bytes = await ReadSharedAsync(file);
            foreach (var secret in world.AllSecrets)
            {
                Assert.True(bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(secret)) < 0, $"{file} holds {secret[..Math.Min(24, secret.Length)]}… in plaintext");
            }
        }
    }
}
