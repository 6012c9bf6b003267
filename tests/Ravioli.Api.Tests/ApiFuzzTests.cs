using System.Globalization;
using System.Net;
using System.Text;
using Ravioli.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Ravioli.Api.Tests;

/// <summary>
/// Random bodies built from each JSON write endpoint's request record (see <see cref="BodyFuzzer"/>): whatever they
/// hold, the answer is never a 5xx and always comes. The seed is fixed so CI is repeatable; RAVIOLI_FUZZ_SEED picks
/// another, RAVIOLI_FUZZ_ITERATIONS another count. A failure prints the seed and the bodies; each body it ever found
/// is kept below as a regression case.
/// </summary>
public sealed class ApiFuzzTests(ApiFuzzTests.World world, ITestOutputHelper output) : IClassFixture<ApiFuzzTests.World>
{
    public sealed class World : HostileWorld;

    public const int DefaultSeed = 20261121;

    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    public static int Seed => int.TryParse(Environment.GetEnvironmentVariable("RAVIOLI_FUZZ_SEED"), CultureInfo.InvariantCulture, out var seed) ? seed : DefaultSeed;

    public static int Iterations => int.TryParse(Environment.GetEnvironmentVariable("RAVIOLI_FUZZ_ITERATIONS"), CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 300;

    public static TheoryData<string> Endpoints => BadInputTests.Endpoints;

    /// <summary>Each endpoint its own stream of bodies, so adding an endpoint does not change the others' (string.GetHashCode is per process).</summary>
    private static int StreamSeed(string endpoint) =>
        unchecked(Seed * 31 + (int)Encoding.UTF8.GetBytes(endpoint).Aggregate(2166136261u, (h, b) => (h ^ b) * 16777619u));

    private async Task<(int Status, string Body, string? ContentType)?> SendAsync(string endpoint, string body)
    {
        var parts = endpoint.Split(' ');
        using var request = new HttpRequestMessage(new HttpMethod(parts[0]), world.Fill(parts[1])) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        // A body over the limit is refused before it is read; without 100-continue the client would still be sending it then.
        request.Headers.ExpectContinue = body.Length > 64 * 1024;
        using var timeout = new CancellationTokenSource(RequestTimeout);
        try
        {
            using var response = await world.Admin.SendAsync(request, timeout.Token);
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(timeout.Token), response.Content.Headers.ContentType?.MediaType);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>A body each endpoint accepts ({unique} becomes a fresh token each time): the fuzzer's starting point for near misses.</summary>
    private string ValidBody(string endpoint)
    {
        string Ref(string guid) => $"{{\"data\": {{\"guid\": \"{guid}\"}}}}";
        var w = world;
        return endpoint switch
        {
            "POST /v3/organizations" or "POST /v3/organization_quotas" => "{\"name\": \"fz-{unique}\"}",
            "PATCH /v3/organizations/{guid}" or "PATCH /v3/spaces/{guid}" or "PATCH /v3/apps/{guid}" => "{\"name\": \"fz-{unique}\"}",
            "POST /v3/spaces" => $"{{\"name\": \"fz-{{unique}}\", \"relationships\": {{\"organization\": {Ref(w.Org)}}}}}",
            "POST /v3/users" => "{\"username\": \"fz-{unique}\", \"password\": \"long-enough\", \"admin\": false}",
            "PATCH /v3/users/{guid}" => "{\"password\": \"long-enough-{unique}\"}",
            "POST /v3/roles" => $"{{\"type\": \"space_auditor\", \"relationships\": {{\"user\": {{\"data\": {{\"username\": \"victim\"}}}}, \"space\": {Ref(w.Space)}}}}}",
            "PATCH /v3/organization_quotas/{guid}" => "{\"apps\": {\"total_memory_in_mb\": 10240, \"total_apps\": 100}, \"routes\": {\"total_routes\": null}}",
            "POST /v3/organization_quotas/{guid}/relationships/organizations" => $"{{\"data\": [{{\"guid\": \"{w.Org}\"}}]}}",
            "POST /v3/apps" => $"{{\"name\": \"fz-{{unique}}\", \"relationships\": {{\"space\": {Ref(w.Space)}}}, \"environment_variables\": {{\"A\": \"b\"}}, \"lifecycle\": {{\"type\": \"buildpack\", \"data\": {{\"buildpacks\": [\"nodejs_buildpack\"], \"stack\": \"ravioli-bookworm\"}}}}}}",
            "PATCH /v3/apps/{guid}/environment_variables" => "{\"var\": {\"FZ_{unique}\": \"v\", \"GONE\": null}}",
            "PATCH /v3/apps/{guid}/relationships/current_droplet" => Ref(w.Droplet),
            "POST /v3/apps/{guid}/tasks" => "{\"command\": \"echo {unique}\", \"name\": \"t-{unique}\", \"memory_in_mb\": 128, \"disk_in_mb\": 256}",
            "PATCH /v3/processes/{guid}" => "{\"command\": \"./run\", \"health_check\": {\"type\": \"http\", \"data\": {\"endpoint\": \"/health\", \"timeout\": 60, \"invocation_timeout\": 5}}}",
            "POST /v3/processes/{guid}/actions/scale" or "POST /v3/apps/{guid}/processes/{type}/actions/scale" => "{\"instances\": 2, \"memory_in_mb\": 512, \"disk_in_mb\": 1024}",
            "POST /v3/domains" => "{\"name\": \"fz-{unique}.example.com\"}",
            "POST /v3/routes" => $"{{\"host\": \"fz-{{unique}}\", \"path\": \"/p\", \"relationships\": {{\"space\": {Ref(w.Space)}, \"domain\": {Ref(w.Domain)}}}}}",
            "POST /v3/routes/{guid}/destinations" => $"{{\"destinations\": [{{\"app\": {{\"guid\": \"{w.App}\", \"process\": {{\"type\": \"web\"}}}}}}]}}",
            "POST /v3/packages" => $"{{\"type\": \"bits\", \"relationships\": {{\"app\": {Ref(w.App)}}}}}",
            "POST /v3/builds" => $"{{\"package\": {{\"guid\": \"{w.Package}\"}}, \"lifecycle\": {{\"type\": \"buildpack\", \"data\": {{\"buildpacks\": [\"binary_buildpack\"]}}}}}}",
            "POST /v3/buildpacks" => "{\"name\": \"fz_{unique}\", \"position\": 3, \"enabled\": true, \"stack\": \"ravioli-bookworm\"}",
            "PATCH /v3/buildpacks/{guid}" => "{\"position\": 2, \"enabled\": false}",
            "POST /v3/service_brokers" => $"{{\"name\": \"fz-{{unique}}\", \"url\": \"{w.Broker.Url}\", \"authentication\": {{\"type\": \"basic\", \"credentials\": {{\"username\": \"{TestBroker.Username}\", \"password\": \"{TestBroker.Password}\"}}}}}}",
            "PATCH /v3/service_brokers/{guid}" => $"{{\"name\": \"fz-{{unique}}\", \"url\": \"{w.Broker.Url}\", \"authentication\": {{\"type\": \"basic\", \"credentials\": {{\"username\": \"{TestBroker.Username}\", \"password\": \"{TestBroker.Password}\"}}}}}}",
            "PATCH /v3/service_plans/{guid}/visibility" or "POST /v3/service_plans/{guid}/visibility" => $"{{\"type\": \"organization\", \"organizations\": [{{\"guid\": \"{w.Org}\"}}]}}",
            "POST /v3/service_instances" => $"{{\"type\": \"managed\", \"name\": \"fz-{{unique}}\", \"relationships\": {{\"space\": {Ref(w.Space)}, \"service_plan\": {Ref(w.Plan)}}}, \"parameters\": {{\"size\": \"s\"}}, \"tags\": [\"t\"]}}",
            "PATCH /v3/service_instances/{guid}" => "{\"name\": \"ups\", \"tags\": [\"a\", \"b\"], \"credentials\": {\"password\": \"ups-secret\"}, \"syslog_drain_url\": \"syslog://logs.example.com:514\"}",
            "POST /v3/service_credential_bindings" => $"{{\"type\": \"app\", \"relationships\": {{\"service_instance\": {Ref(w.Instance)}, \"app\": {Ref(w.App)}}}}}",
            _ => throw new ArgumentException($"no valid body for {endpoint}"),
        };
    }

    /// <summary>Values of an endpoint's fields that its validation accepts, by JSON path, so that bodies get to the code behind it.</summary>
    private static Dictionary<string, string[]> PlausibleValues(string endpoint)
    {
        var values = new Dictionary<string, string[]>
        {
            ["health_check.type"] = ["port", "http", "process"],
            ["lifecycle.type"] = ["buildpack"],
            ["authentication.type"] = ["basic"],
            ["authentication.credentials.username"] = [TestBroker.Username],
            ["authentication.credentials.password"] = [TestBroker.Password, "wrong-password"],
            ["relationships.user.data.username"] = ["victim", "admin", "nobody"],
            ["destinations[0].app.process.type"] = ["web", "worker"],
        };
        values["type"] = endpoint switch
        {
            "POST /v3/service_instances" => ["managed", "user-provided"],
            "POST /v3/service_credential_bindings" => ["app", "key"],
            "POST /v3/roles" => ["organization_user", "organization_manager", "organization_auditor", "space_developer", "space_manager", "space_auditor"],
            "POST /v3/packages" => ["bits"],
            _ when endpoint.EndsWith("/visibility", StringComparison.Ordinal) => ["public", "admin", "organization"],
            _ => ["bits"],
        };
        if (endpoint == "POST /v3/domains")
        {
            values["name"] = [.. Enumerable.Range(0, 50).Select(i => $"fuzz{i}.example.com")];
        }
        return values;
    }

    private static string Show(string text, int max = 2000) =>
        (text.Length > max ? text[..max] + $"… ({text.Length} chars)" : text).Replace("\0", "\\u0000", StringComparison.Ordinal);

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Random_bodies_never_get_a_5xx_or_no_answer(string endpoint)
    {
        var related = new Dictionary<string, string[]>
        {
            ["space"] = [world.Space],
            ["organization"] = [world.Org],
            ["organizations"] = [world.Org],
            ["app"] = [world.App],
            ["package"] = [world.Package],
            ["service_plan"] = [world.Plan],
            ["service_instance"] = [world.Instance],
            ["user"] = [world.User],
            ["domain"] = [world.Domain],
            ["data"] = [world.Org, world.Droplet],
            ["destinations"] = [world.App],
        };
        var fuzzer = new BodyFuzzer(new Random(StreamSeed(endpoint)), related, [.. world.Guids.Values.Distinct()], world.Broker.Url, PlausibleValues(endpoint), ValidBody(endpoint));
        var type = BadInputTests.RequestTypeOf(endpoint);
        var failures = new List<string>();
        var statuses = new SortedDictionary<int, int>();
        for (var i = 0; i < Iterations; i++)
        {
            var body = fuzzer.Body(type);
            var answer = await SendAsync(endpoint, body);
            if (answer is not { } a)
            {
                failures.Add($"#{i}: no answer within {RequestTimeout.TotalSeconds} s\n    body: {Show(body)}");
                continue;
            }
            statuses[a.Status] = statuses.GetValueOrDefault(a.Status) + 1;
            if (a.Status >= 500 || (a.Status >= 400 && a.ContentType != "application/problem+json"))
            {
                failures.Add($"#{i}: {a.Status} {a.ContentType}\n    body: {Show(body)}\n    answer: {Show(a.Body, 500)}");
                // RAVIOLI_FUZZ_DUMP=FILE collects every failing body as a JSON line, ready to become a regression case.
                if (Environment.GetEnvironmentVariable("RAVIOLI_FUZZ_DUMP") is { Length: > 0 } dump)
                {
                    await File.AppendAllTextAsync(dump, System.Text.Json.JsonSerializer.Serialize(new { endpoint, status = a.Status, body }) + "\n");
                }
            }
        }
        output.WriteLine($"{endpoint}: {Iterations} bodies, seed {Seed}: " + string.Join(", ", statuses.Select(s => $"{s.Value}× {s.Key}")));
        (await world.Admin.GetJsonAsync("/healthz")).Expect(HttpStatusCode.OK);
        Assert.True(failures.Count == 0,
            $"{endpoint}: {failures.Count} of {Iterations} random bodies failed (seed {Seed}; rerun with RAVIOLI_FUZZ_SEED={Seed}):\n" + string.Join("\n", failures.Take(10)));
    }

    /// <summary>
    /// Every body the fuzzer found answered with a 500 before the fixes (seed 20261121, 300 bodies per endpoint, on
    /// SQLite and on PostgreSQL), kept so they stay fixed. Guids of that run's resources are written as {org}, {app},
    /// {package}: the test's own are put in. The first 24 are one defect three times over (a null inside a list the
    /// code indexed: route destinations, quota organizations, plan visibility); the last two are PostgreSQL refusing
    /// a NUL in a query parameter.
    /// </summary>
    public static TheoryData<string, string> Found => new()
    {
        { "PATCH /v3/service_plans/{guid}/visibility", "{\"type\":\"organization\",\"organizations\":[null,null,{\"guid\":\"{org}\"}]}" },
        { "PATCH /v3/service_plans/{guid}/visibility", "{\"type\":\"organization\",\"organizations\":[null,{\"guid\":null},{\"guid\":\"\\u00DF\"}]}" },
        { "POST /v3/routes/{guid}/destinations", "{\"destinations\":[null]}" },
        { "POST /v3/routes/{guid}/destinations", "{\"destinations\":[null,{\"app\":{\"guid\":\"{app}\",\"process\":{\"type\":\"process\"}},\"port\":4096},{\"app\":{\"guid\":\"{app}\"}}]}" },
        { "POST /v3/routes/{guid}/destinations", "{\"destinations\":[null,{\"app\":{\"guid\":\"{app}\",\"process\":{\"type\":\"app\"}},\"port\":2}]}" },
        { "POST /v3/routes/{guid}/destinations", "{\"destinations\":[null,{\"app\":{\"guid\":\"{app}\",\"process\":{\"type\":\"app\"}},\"port\":600},{\"app\":{\"guid\":\"{app}\"},\"port\":128}]}" },
        { "POST /v3/routes/{guid}/destinations", "{\"destinations\":[null,{\"app\":{\"guid\":\"{app}\",\"process\":{\"type\":\"port\"}},\"port\":600},{\"app\":{\"process\":{}},\"port\":0}]}" },
        { "POST /v3/organization_quotas/{guid}/relationships/organizations", "{\"data\":[null]}" },
        { "POST /v3/organization_quotas/{guid}/relationships/organizations", "{\"data\":[null,{\"guid\":\"{org}\"}]}" },
        { "POST /v3/organization_quotas/{guid}/relationships/organizations", "{\"data\":[null,{\"guid\":\"{org}\"},{\"guid\":\"{org}\"}]}" },
        { "POST /v3/organization_quotas/{guid}/relationships/organizations", "{\"data\":[null,{}]}" },
        { "POST /v3/organization_quotas/{guid}/relationships/organizations", "{\"data\":[null,{\"guid\":\"file:///etc/passwd\"}]}" },
        { "POST /v3/service_plans/{guid}/visibility", "{\"type\":\"organization\",\"organizations\":[null,null]}" },
        { "POST /v3/service_plans/{guid}/visibility", "{\"type\":\"organization\",\"organizations\":[null,null,{\"guid\":\"{org}\"}]}" },
        { "POST /v3/service_plans/{guid}/visibility", "{\"type\":\"organization\",\"organizations\":[{\"guid\":\"{org}\"},null]}" },
        { "PATCH /v3/service_plans/{guid}/visibility", "{\"type\":\"organization\",\"organizations\":[null,{\"guid\":\"{org}\"},null]}" },
        { "PATCH /v3/service_plans/{guid}/visibility", "{\"type\":\"organization\",\"organizations\":[null,{\"guid\":\"{org}\"}]}" },
        { "POST /v3/routes/{guid}/destinations", "{\"destinations\":[{\"app\":{\"guid\":\"{app}\",\"process\":{\"type\":\"bits\"}}},null]}" },
        { "POST /v3/routes/{guid}/destinations", "{\"destinations\":[null,{\"app\":{\"guid\":\"{app}\",\"process\":{\"type\":\"web\"}},\"port\":65536},{\"app\":{\"guid\":\"{app}\",\"process\":{\"type\":\"web\"}},\"port\":256}]}" },
        { "POST /v3/routes/{guid}/destinations", "{\"destinations\":[null,{\"app\":{\"guid\":\"{app}\",\"process\":{\"type\":\"web\"}}},{\"app\":{\"guid\":\"{app}\"},\"port\":4096}]}" },
        { "POST /v3/routes/{guid}/destinations", "{\"destinations\":[null,{\"app\":{\"guid\":\"{app}\"},\"port\":256}]}" },
        { "POST /v3/organization_quotas/{guid}/relationships/organizations", "{\"data\":[null,{\"guid\":\"C:\\\\\"},{\"guid\":\"{org}\"}]}" },
        { "POST /v3/organization_quotas/{guid}/relationships/organizations", "{\"data\":[null,{\"guid\":\"\\uD83D\\uDE000b457b\"}]}" },
        { "POST /v3/organization_quotas/{guid}/relationships/organizations", "{\"data\":[null,{\"guid\":\"..\\\\..\\\\windows\"},{\"guid\":\"\\u0022 OR \\u0022\\u0022=\\u0022\"}]}" },
        { "POST /v3/builds", "{\"package\":{\"guid\":\"\\u0000{package}\"},\"lifecycle\":{\"data\":{\"buildpacks\":[\"no_such_bp\",\"no_such_bp\"],\"stack\":\"cflinuxfs4\"}}}" },
        { "PATCH /v3/apps/{guid}/relationships/current_droplet", "{\"data\":{\"guid\":\"\\u0000{{7*7}}\"}}" },
    };

    [Theory]
    [MemberData(nameof(Found))]
    public async Task Bodies_the_fuzzer_once_broke_are_answered_with_a_4xx(string endpoint, string body)
    {
        body = body.Replace("{org}", world.Org, StringComparison.Ordinal).Replace("{app}", world.App, StringComparison.Ordinal)
            .Replace("{package}", world.Package, StringComparison.Ordinal);
        var answer = await SendAsync(endpoint, body);
        Assert.True(answer is { Status: >= 400 and < 500, ContentType: "application/problem+json" }, $"{endpoint} {Show(body)}: {answer}");
    }
}
