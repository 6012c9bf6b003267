using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Xunit;
using Xunit.Abstractions;

namespace Ravioli.EndToEnd.Tests;

/// <summary>`./ravioli up --services postgresql`: the built-in PostgreSQL broker, which runs inside the control plane's process.</summary>
public sealed class PostgresPlatform : Platform
{
    protected override string Services => "postgresql";
}

/// <summary>
/// Issue 6, service provision and bind: the control plane (and with it the built-in broker) is SIGKILLed at a named
/// step of an operation (<c>RAVIOLI_FAULT_KILL_AT</c>, no sleeping), restarted unarmed, and must converge: no operation
/// left "in progress", a failure says why, and the PostgreSQL server holds exactly the databases and roles of the
/// instances and bindings the platform has — no orphans, no row whose database is missing.
/// </summary>
public sealed class ServiceFaultTests(PostgresPlatform platform, ITestOutputHelper output) : IClassFixture<PostgresPlatform>
{
    private const string FaultVariable = "RAVIOLI_FAULT_KILL_AT";
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(4);

    /// <summary>The operation a test interrupts, and where: the control plane's steps and the broker's own.</summary>
    public static TheoryData<string, string> Points => new()
    {
        { "provision", "provision.row-committed" },
        { "provision", "provision.broker-answered" },
        { "provision", "broker.provision.done" },
        { "bind-app", "bind.row-committed" },
        { "bind-app", "bind.broker-answered" },
        { "bind-app", "broker.bind.done" },
        { "create-key", "bind.broker-answered" },
        { "unbind-app", "unbind.row-committed" },
        { "unbind-app", "unbind.broker-answered" },
        { "unbind-app", "broker.unbind.done" },
        { "deprovision", "deprovision.row-committed" },
        { "deprovision", "deprovision.broker-answered" },
        { "deprovision", "broker.deprovision.done" },
        // The dedicated plan is asynchronous (its own cluster: initdb, start): a restart in the middle of it.
        { "provision-dedicated", "provision.polling" },
        { "provision-dedicated", "broker.checkpointed" },
        { "provision-dedicated", "provision.polled" },
    };

    [Theory]
    [MemberData(nameof(Points))]
    public async Task A_crash_at_a_step_of_a_service_operation_converges_with_the_broker_after_restart(string operation, string point)
    {
        await WaitForMarketplaceAsync();
        var suffix = Guid.NewGuid().ToString("N")[..6];
        var instance = $"fs-{suffix}";
        var app = $"fa-{suffix}";
        var appGuid = "";
        if (operation is not ("provision" or "provision-dedicated"))
        {
            await RavOkAsync("create-service", "postgresql", "shared", instance, "--wait");
        }
        if (operation is "bind-app" or "unbind-app")
        {
            appGuid = await CreateAppAsync(app);
        }
        if (operation == "unbind-app")
        {
            await RavOkAsync("bind-service", app, instance);
            Assert.Equal("succeeded", (await SettledBindingAsync(instance))?["last_operation"]?["state"]?.GetValue<string>());
        }

        var mark = await RestartAsync(point);
        string[] command = operation switch
        {
            "provision" => ["create-service", "postgresql", "shared", instance],
            "provision-dedicated" => ["create-service", "postgresql", "dedicated", instance],
            "bind-app" => ["bind-service", app, instance],
            "create-key" => ["create-service-key", instance, "k"],
            "unbind-app" => ["unbind-service", app, instance, "-f"],
            _ => ["delete-service", instance, "-f"],
        };
        // The CLI may lose its connection (the kill can come inside its request): only the platform's state counts.
        var cli = platform.RavAsync(command);
        await WaitForFaultAsync(point, mark);
        await cli;
        await RestartAsync(null);

        string outcome;
        switch (operation)
        {
            case "provision" or "provision-dedicated" or "deprovision":
            {
                var settled = await SettledInstanceAsync(instance);
                outcome = settled is null ? "gone" : State(settled);
                if (operation == "deprovision")
                {
                    Assert.True(settled is null || State(settled) == "failed" && Description(settled).Length > 0, $"deprovision after {point}: {settled}");
                }
                else
                {
                    Assert.True(settled is not null, $"the instance row of a provision interrupted at {point} disappeared");
                    Assert.True(State(settled) == "succeeded" || State(settled) == "failed" && Description(settled).Length > 0, $"provision after {point}: {settled}");
                    if (State(settled) == "succeeded")
                    {
                        // The database is really there and usable with fresh credentials.
                        await RavOkAsync("create-service-key", instance, "check", "--wait");
                        var key = await KeyCredentialsAsync(instance, "check");
                        Assert.Equal("1", await PsqlAsync(key["uri"]!.GetValue<string>(), "SELECT 1"));
                    }
                }
                break;
            }
            default:
            {
                var settled = await SettledBindingAsync(instance);
                outcome = settled is null ? "gone" : State(settled);
                if (operation == "unbind-app")
                {
                    Assert.True(settled is null || State(settled) == "failed" && Description(settled).Length > 0, $"unbind after {point}: {settled}");
                }
                else
                {
                    Assert.True(settled is not null && (State(settled) == "succeeded" || State(settled) == "failed" && Description(settled).Length > 0),
                        $"bind after {point}: {settled}");
                    if (State(settled) == "succeeded" && operation == "create-key")
                    {
                        var key = await KeyCredentialsAsync(instance, "k");
                        Assert.Equal("1", await PsqlAsync(key["uri"]!.GetValue<string>(), "SELECT 1"));
                    }
                }
                if (operation is "bind-app" or "unbind-app")
                {
                    // What the app gets on its next start: exactly the binding that exists, with credentials that log in.
                    var vcap = await VcapServicesAsync(appGuid);
                    if (settled is not null && State(settled) == "succeeded")
                    {
                        var entry = Assert.Single(vcap["postgresql"]!.AsArray())!;
                        Assert.Equal(settled["guid"]!.GetValue<string>(), entry["binding_guid"]!.GetValue<string>());
                        Assert.Equal(instance, entry["instance_name"]!.GetValue<string>());
                        Assert.Equal("1", await PsqlAsync(entry["credentials"]!["uri"]!.GetValue<string>(), "SELECT 1"));
                    }
                    else
                    {
                        Assert.False(vcap.ContainsKey("postgresql"), $"VCAP_SERVICES after {point} names a binding that is {outcome}: {vcap}");
                    }
                }
                break;
            }
        }
        await AssertConsistentAsync(point);
        output.WriteLine($"{operation} killed at {point}: {outcome}");
        await CleanUpAsync(instance, app);
        await AssertConsistentAsync(point + " (after clean-up)");
    }

    // ---- the platform, killed and restarted ----

    /// <summary>Kills the control plane if it runs and starts it again, armed at <paramref name="point"/> (or not); returns where its new output begins.</summary>
    private async Task<int> RestartAsync(string? point)
    {
        if (platform.ControlPlane is { } running)
        {
            if (!running.HasExited)
            {
                running.Kill();
            }
            await WaitUntilAsync(() => Task.FromResult(running.HasExited), "the control plane to exit after SIGKILL");
        }
        var mark = platform.Output.Length;
        await platform.StartAsync(point is null ? null : new Dictionary<string, string> { [FaultVariable] = point });
        await WaitForMarketplaceAsync();
        return mark;
    }

    private async Task WaitForFaultAsync(string point, int mark)
    {
        var process = platform.ControlPlane!;
        var line = $"ravioli: fault injected: killed at {point}";
        await WaitUntilAsync(() => Task.FromResult(process.HasExited && platform.Output[mark..].Contains(line, StringComparison.Ordinal)),
            $"the control plane to die at {point}");
    }

    private async Task WaitForMarketplaceAsync()
    {
        await WaitUntilAsync(async () =>
        {
            var m = await platform.RavAsync("marketplace");
            return m.ExitCode == 0 && m.Stdout.Contains("postgresql", StringComparison.Ordinal);
        }, "the built-in PostgreSQL broker to appear in the marketplace");
    }

    private async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}\n{Tail(platform.Output)}");
            await Task.Delay(500);
        }
    }

    private static string Tail(string text) => text.Length > 6000 ? text[^6000..] : text;

    // ---- the platform's view ----

    private async Task<Platform.Result> RavOkAsync(params string[] args)
    {
        var result = await platform.RavAsync(args);
        Assert.True(result.ExitCode == 0, $"rav {string.Join(' ', args)}: {result}");
        return result;
    }

    private async Task<JsonObject> CurlAsync(string path, string? method = null, string? body = null)
    {
        string[] args = body is null ? ["curl", path] : ["curl", "-X", method ?? "POST", path, "-d", body];
        var result = await RavOkAsync(args);
        return JsonNode.Parse(result.Stdout)!.AsObject();
    }

    private async Task<JsonArray> ListAsync(string path) => (await CurlAsync(path))["resources"]!.AsArray();

    private async Task<string> CreateAppAsync(string name)
    {
        var space = (await ListAsync("/v3/spaces?names=dev"))[0]!["guid"]!.GetValue<string>();
        var body = new JsonObject { ["name"] = name, ["relationships"] = new JsonObject { ["space"] = new JsonObject { ["data"] = new JsonObject { ["guid"] = space } } } };
        return (await CurlAsync("/v3/apps", "POST", body.ToJsonString()))["guid"]!.GetValue<string>();
    }

    private static string State(JsonNode resource) => resource["last_operation"]?["state"]?.GetValue<string>() ?? "";

    private static string Description(JsonNode resource) => resource["last_operation"]?["description"]?.GetValue<string>() ?? "";

    /// <summary>The instance once no operation is in progress on it (null: it is gone).</summary>
    private async Task<JsonObject?> SettledInstanceAsync(string name)
    {
        JsonObject? found = null;
        await WaitUntilAsync(async () =>
        {
            var list = await ListAsync($"/v3/service_instances?names={name}");
            found = list.Count == 0 ? null : list[0]!.AsObject();
            return found is null || State(found) != "in progress";
        }, $"service instance {name} to leave 'in progress'");
        return found;
    }

    /// <summary>The instance's only binding (app binding or key) once settled (null: none).</summary>
    private async Task<JsonObject?> SettledBindingAsync(string instance)
    {
        JsonObject? found = null;
        await WaitUntilAsync(async () =>
        {
            var list = await ListAsync($"/v3/service_credential_bindings?service_instance_names={instance}");
            Assert.True(list.Count <= 1, $"more than one binding of {instance}: {list}");
            found = list.Count == 0 ? null : list[0]!.AsObject();
            return found is null || State(found) != "in progress";
        }, $"the binding of {instance} to leave 'in progress'");
        return found;
    }

    private async Task<JsonObject> KeyCredentialsAsync(string instance, string key)
    {
        var guid = (await RavOkAsync("service-key", instance, key, "--guid")).Stdout.Trim();
        return (await CurlAsync($"/v3/service_credential_bindings/{guid}/details"))["credentials"]!.AsObject();
    }

    private async Task<JsonObject> VcapServicesAsync(string appGuid) =>
        (await CurlAsync($"/v3/apps/{appGuid}/env"))["system_env_json"]!["VCAP_SERVICES"]!.AsObject();

    private async Task CleanUpAsync(string instance, string app)
    {
        foreach (var binding in await ListAsync($"/v3/service_credential_bindings?service_instance_names={instance}"))
        {
            await platform.RavAsync("curl", "-X", "DELETE", $"/v3/service_credential_bindings/{binding!["guid"]!.GetValue<string>()}");
        }
        await WaitUntilAsync(async () => (await ListAsync($"/v3/service_credential_bindings?service_instance_names={instance}")).Count == 0,
            $"the bindings of {instance} to be deleted");
        if ((await ListAsync($"/v3/service_instances?names={instance}")).Count > 0)
        {
            await RavOkAsync("delete-service", instance, "-f", "--wait");
        }
        var apps = await ListAsync($"/v3/apps?names={app}");
        if (apps.Count > 0)
        {
            await RavOkAsync("curl", "-X", "DELETE", $"/v3/apps/{apps[0]!["guid"]!.GetValue<string>()}");
        }
    }

    // ---- the broker's view: what the PostgreSQL servers really hold ----

    private static string Hash(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)))[..16];

    /// <summary>
    /// Waits (orphan mitigation runs in the background) until the platform has nothing in progress and the shared
    /// cluster's databases and login roles, and the dedicated clusters on disk, are exactly those of the platform's
    /// instances and bindings; fails with the difference otherwise.
    /// </summary>
    private async Task AssertConsistentAsync(string when)
    {
        var last = "";
        var deadline = DateTime.UtcNow + Deadline;
        while (true)
        {
            last = await DifferenceAsync();
            if (last.Length == 0)
            {
                return;
            }
            Assert.True(DateTime.UtcNow < deadline, $"after {when}, the platform and the PostgreSQL broker disagree:\n{last}\n{Tail(platform.Output)}");
            await Task.Delay(1000);
        }
    }

    private async Task<string> DifferenceAsync()
    {
        var dedicatedPlan = (await ListAsync("/v3/service_plans?names=dedicated&service_offering_names=postgresql"))[0]!["guid"]!.GetValue<string>();
        var instances = await ListAsync("/v3/service_instances?per_page=5000&type=managed");
        var bindings = await ListAsync("/v3/service_credential_bindings?per_page=5000");
        var problems = new List<string>();
        foreach (var item in instances.Concat(bindings))
        {
            if (State(item!) == "in progress")
            {
                problems.Add($"still in progress: {item}");
            }
        }
        // A failed create owns nothing (orphan mitigation removes what the broker made); anything else owns its database.
        bool Owns(JsonNode r) => !(State(r) == "failed" && r["last_operation"]?["type"]?.GetValue<string>() == "create");
        var shared = instances.Where(i => i!["relationships"]!["service_plan"]!["data"]!["guid"]!.GetValue<string>() != dedicatedPlan).ToList();
        var dedicated = instances.Except(shared).ToList();
        var sharedGuids = shared.Select(i => i!["guid"]!.GetValue<string>()).ToHashSet();

        var expectedDatabases = shared.Where(i => Owns(i!)).Select(i => "db_" + Hash(i!["guid"]!.GetValue<string>())).ToHashSet();
        var databases = (await AdminPsqlAsync("SELECT datname FROM pg_database WHERE datname LIKE 'db\\_%'")).ToHashSet();
        Compare("database", expectedDatabases, databases, problems);

        var expectedRoles = bindings
            .Where(b => Owns(b!) && sharedGuids.Contains(b!["relationships"]!["service_instance"]!["data"]!["guid"]!.GetValue<string>()))
            .Select(b => "u_" + Hash($"{b!["relationships"]!["service_instance"]!["data"]!["guid"]!.GetValue<string>()}/{b["guid"]!.GetValue<string>()}")).ToHashSet();
        var roles = (await AdminPsqlAsync("SELECT rolname FROM pg_roles WHERE rolname LIKE 'u\\_%'")).ToHashSet();
        Compare("login role", expectedRoles, roles, problems);

        var expectedClusters = dedicated.Where(i => Owns(i!)).Select(i => Hash(i!["guid"]!.GetValue<string>())).ToHashSet();
        var root = Path.Combine(platform.DataDirectory, "services", "postgresql-dedicated");
        var clusters = Directory.Exists(root) ? Directory.GetDirectories(root).Select(Path.GetFileName).OfType<string>().ToHashSet() : [];
        Compare("dedicated cluster", expectedClusters, clusters, problems);
        return string.Join('\n', problems);
    }

    private static void Compare(string what, HashSet<string> expected, HashSet<string> actual, List<string> problems)
    {
        problems.AddRange(actual.Except(expected).Select(a => $"orphaned {what} {a}: no instance or binding of the platform owns it"));
        problems.AddRange(expected.Except(actual).Select(e => $"missing {what} {e}: the platform has a row for it"));
    }

    private async Task<List<string>> AdminPsqlAsync(string sql)
    {
        var dir = Path.Combine(platform.DataDirectory, "services", "postgresql");
        var port = (await File.ReadAllTextAsync(Path.Combine(dir, "postgresql.port"))).Trim();
        var password = (await File.ReadAllTextAsync(Path.Combine(dir, "admin-password"))).Trim();
        var text = await PsqlAsync($"postgresql://postgres:{Uri.EscapeDataString(password)}@127.0.0.1:{port}/postgres", sql);
        return [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
    }

    private static async Task<string> PsqlAsync(string connection, string sql)
    {
        using var process = Process.Start(new ProcessStartInfo("psql", [connection, "-tAc", sql]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"psql: {await stderr}");
        return (await stdout).Trim();
    }
}
