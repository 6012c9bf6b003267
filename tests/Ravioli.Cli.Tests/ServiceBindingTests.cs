using System.Net;
using System.Text.Json;
using Ravioli.Cli.Tests.Support;
using Ravioli.Testing;

namespace Ravioli.Cli.Tests;

/// <summary>App bindings, service keys and what apps see of them, against the real control plane and a real broker.</summary>
public sealed class ServiceBindingTests(RavioliServerFixture server) : IClassFixture<RavioliServerFixture>
{
    [Fact]
    public async Task BindService_ShowsTheRestageTip_IsIdempotent_AndEnvShowsVcapServices()
    {
        await using var broker = await TestBroker.StartAsync();
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        var brokerName = await BrokerSetup.RegisterAsync(rav, broker);
        var app = await space.CreateAppAsync(server, "web");
        await rav.OkAsync("create-service", broker.Offering, "small", "mydb", "--wait");

        var bound = await rav.OkAsync("bind-service", "web", "mydb", "--binding-name", "primary", "-c", """{"role": "ro"}""", "--wait");
        var again = await rav.OkAsync("bs", "web", "mydb");
        var list = await rav.OkAsync("services");
        var shown = await rav.OkAsync("service", "mydb");
        var env = await rav.OkAsync("env", "web");

        Assert.Contains($"Binding service instance mydb to app web in org {space.Org} / space dev as admin...", bound.Out);
        Assert.Contains("OK\n\nTIP: Use 'rav restage web' or 'rav restart web' to ensure your env variable changes take effect.", bound.Out.ReplaceLineEndings("\n"));
        var (bindingId, binding) = Assert.Single(broker.Bindings);
        Assert.Equal("ro", binding["parameters"]!["role"]!.GetValue<string>());
        Assert.Equal(app, binding["bind_resource"]!["app_guid"]!.GetValue<string>());
        Assert.Contains("App web is already bound to service instance mydb.", again.Err);
        Assert.Matches($@"(?m)^mydb\s+{broker.Offering}\s+small\s+web\s+create succeeded\s+{brokerName}$", list.Out);
        Assert.Matches(@"(?m)^   name\s+binding name\s+status\s+message$", shown.Out);
        Assert.Matches(@"(?m)^   web\s+primary\s+create succeeded$", shown.Out);
        Assert.Contains("System-Provided:\nVCAP_SERVICES: {\n", env.Out.ReplaceLineEndings("\n"));
        Assert.Contains($"\"username\": \"user-{bindingId[..8]}\"", env.Out);
        Assert.Contains("\"name\": \"primary\"", env.Out);
        Assert.Contains("VCAP_APPLICATION: {", env.Out);
        Assert.Contains("No user-provided env variables have been set.", env.Out);
    }

    [Fact]
    public async Task BindService_WithoutWait_SaysHowToFollowIt_AndWithAnAsyncBroker_WaitsForTheCredentials()
    {
        await using var broker = await TestBroker.StartAsync();
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        await BrokerSetup.RegisterAsync(rav, broker);
        await space.CreateAppAsync(server, "web");
        await space.CreateAppAsync(server, "worker");
        await rav.OkAsync("create-service", broker.Offering, "large", "bigdb", "--wait");
        broker.PollsBeforeDone = 1;

        var waited = await rav.OkAsync("bind-service", "web", "bigdb", "--wait");
        broker.PollsBeforeDone = 1000;
        var started = await rav.OkAsync("bind-service", "worker", "bigdb");
        var env = await rav.OkAsync("env", "web");

        Assert.Contains("   create in progress: bind: step 1\n   create succeeded: bind done\n", waited.Out.ReplaceLineEndings("\n"));
        Assert.Contains("Binding in progress. Use 'rav service bigdb' to check operation status.", started.Out);
        Assert.Contains("TIP: Use 'rav restage worker'", started.Out);
        Assert.Contains("\"password\": \"pw-", env.Out);
    }

    [Fact]
    public async Task BindService_UnknownAppServiceOrBadJson_Fails()
    {
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        await space.CreateAppAsync(server, "web");
        await rav.OkAsync("cups", "ext", "-p", """{"uri": "x"}""");

        var noApp = await rav.RunAsync("bind-service", "nope", "ext");
        var noService = await rav.RunAsync("bind-service", "web", "nope");
        var badJson = await rav.RunAsync("bind-service", "web", "ext", "-c", "{nope");

        Assert.Contains("App 'nope' not found in space 'dev'. Run 'rav apps' to see the apps there", noApp.Err);
        Assert.Contains("Service instance 'nope' not found in space 'dev'. Run 'rav services' to see the ones there.", noService.Err);
        Assert.Contains("The JSON given with -c is not valid JSON", badJson.Err);
        Assert.All([noApp, noService, badJson], r => Assert.Equal(1, r.ExitCode));
        Assert.Matches(@"(?m)^ext\s+user-provided\s+create succeeded$", (await rav.OkAsync("services")).Out);
    }

    [Fact]
    public async Task BindService_AUserProvidedInstance_PutsItsCredentialsInVcapServices()
    {
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        await space.CreateAppAsync(server, "web");
        await rav.OkAsync("cups", "ext", "-p", """{"uri": "postgres://outside"}""", "-t", "pg");

        var bound = await rav.OkAsync("bind-service", "web", "ext");
        var env = (await rav.OkAsync("env", "web", "--json")).Json();

        Assert.DoesNotContain("in progress", bound.Out);
        var ups = Assert.Single(env.GetProperty("system_env_json").GetProperty("VCAP_SERVICES").GetProperty("user-provided").EnumerateArray());
        Assert.Equal("ext", ups.GetProperty("name").GetString());
        Assert.Equal("postgres://outside", ups.GetProperty("credentials").GetProperty("uri").GetString());
    }

    [Fact]
    public async Task UnbindService_AsksFirst_RemovesTheBinding_AndAMissingOneIsNotAnError()
    {
        await using var broker = await TestBroker.StartAsync();
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        await BrokerSetup.RegisterAsync(rav, broker);
        await space.CreateAppAsync(server, "web");
        await rav.OkAsync("create-service", broker.Offering, "small", "mydb", "--wait");
        await rav.OkAsync("bind-service", "web", "mydb", "--wait");

        var unconfirmed = await rav.RunAsync("unbind-service", "web", "mydb");
        var unbound = await rav.OkAsync("us", "web", "mydb", "-f", "--wait");
        var again = await rav.OkAsync("unbind-service", "web", "mydb", "-f");

        Assert.Contains("Really unbind app web from service instance mydb? Not asking because input is not a terminal. Re-run with -f to confirm.", unconfirmed.Err);
        Assert.Contains($"Unbinding app web from service mydb in org {space.Org} / space dev as admin...", unbound.Out);
        Assert.Contains("   delete succeeded", unbound.Out);
        Assert.Empty(broker.Bindings);
        Assert.Contains("Binding between mydb and web did not exist.", again.Err);
        Assert.Contains("There are no bound apps for this service instance.", (await rav.OkAsync("service", "mydb")).Out);
    }

    [Fact]
    public async Task ServiceKeys_AreCreatedListedShownAndDeleted()
    {
        await using var broker = await TestBroker.StartAsync();
        using var rav = new Rav(server);
        await TestSpace.CreateAsync(rav);
        await BrokerSetup.RegisterAsync(rav, broker);
        await rav.OkAsync("create-service", broker.Offering, "small", "mydb", "--wait");

        var created = await rav.OkAsync("create-service-key", "mydb", "laptop", "-c", """{"read_only": true}""", "--wait");
        var binding = Assert.Single(broker.Bindings).Value;
        var again = await rav.OkAsync("csk", "mydb", "laptop");
        var keys = await rav.OkAsync("service-keys", "mydb");
        var key = await rav.OkAsync("service-key", "mydb", "laptop");
        var details = (await rav.OkAsync("service-key", "mydb", "laptop", "--json")).Json();
        var guid = (await rav.OkAsync("service-key", "mydb", "laptop", "--guid")).Out.Trim();
        var unconfirmed = await rav.RunAsync("delete-service-key", "mydb", "laptop");
        var deleted = await rav.OkAsync("dsk", "mydb", "laptop", "-f", "--wait");
        var gone = await rav.OkAsync("delete-service-key", "mydb", "laptop", "-f");
        var none = await rav.OkAsync("sk", "mydb");
        var missing = await rav.RunAsync("service-key", "mydb", "laptop");

        Assert.Contains("Creating service key laptop for service instance mydb as admin...", created.Out);
        Assert.True(binding["parameters"]!["read_only"]!.GetValue<bool>());
        Assert.Null(binding["bind_resource"]);
        Assert.Contains("Service key laptop already exists.", again.Err);
        Assert.Contains("Getting keys for service instance mydb as admin...", keys.Out);
        Assert.Matches(@"(?m)^name\s+last operation\s+message$", keys.Out);
        Assert.Matches(@"(?m)^laptop\s+create succeeded$", keys.Out);
        Assert.Contains("Getting key laptop for service instance mydb as admin...", key.Out);
        Assert.Contains($"{{\n  \"credentials\": {{\n    \"uri\": \"testdb://user-{guid[..8]}:", key.Out.ReplaceLineEndings("\n"));
        Assert.Equal($"pw-{guid}", details.GetProperty("credentials").GetProperty("password").GetString());
        Assert.Contains("Really delete the service key laptop? Not asking because input is not a terminal.", unconfirmed.Err);
        Assert.Contains("Deleting key laptop for service instance mydb as admin...", deleted.Out);
        Assert.Contains("Service key laptop does not exist for service instance mydb.", gone.Err);
        Assert.Contains("No service keys for service instance mydb.", none.Out);
        Assert.Contains("No service key laptop found for service instance mydb. Run 'rav service-keys mydb' to see its keys.", missing.Err);
    }

    [Fact]
    public async Task DeleteService_WhileBoundOrWithKeys_IsRefusedWithTheApisReason()
    {
        await using var broker = await TestBroker.StartAsync();
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        await BrokerSetup.RegisterAsync(rav, broker);
        await space.CreateAppAsync(server, "web");
        await rav.OkAsync("create-service", broker.Offering, "small", "mydb", "--wait");
        await rav.OkAsync("bind-service", "web", "mydb", "--wait");
        await rav.OkAsync("create-service-key", "mydb", "laptop", "--wait");

        var refused = await rav.RunAsync("delete-service", "mydb", "-f");

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains(
            "Service instance 'mydb' is bound to app(s) web and has service key(s) laptop. Unbind the apps ('rav unbind-service APP mydb') and delete the keys ('rav delete-service-key mydb KEY') first.",
            refused.Err);
        Assert.Matches(@"(?m)^mydb\s", (await rav.OkAsync("services")).Out);
    }

    [Fact]
    public async Task Push_BindsTheManifestsServicesBeforeStarting_AndSkipsThoseAlreadyBound()
    {
        await using var broker = await TestBroker.StartAsync();
        var staging = new FakeStaging(server);
        using var rav = new Rav(server, staging.Handler);
        var space = await TestSpace.CreateAsync(rav);
        await BrokerSetup.RegisterAsync(rav, broker);
        await rav.OkAsync("create-service", broker.Offering, "small", "mydb", "--wait");
        await rav.OkAsync("cups", "cache", "-p", """{"host": "cache.example.com"}""");
        var name = Names.Unique("bound");
        var dir = AppDirectory(rav, "bound", $"""
            applications:
            - name: {name}
              services:
              - name: mydb
                parameters:
                  role: rw
                  pool: 5
              - name: cache
                binding_name: sessions
            """);

        var pushed = await rav.OkAsync("push", "-p", dir);
        var requests = staging.Handler.Requests.ToList();
        var again = await rav.OkAsync("push", "-p", dir);
        var env = (await rav.OkAsync("env", name, "--json")).Json();

        Assert.Contains($"Binding service instance mydb to app {name}...", pushed.Out);
        Assert.Contains($"Binding service instance cache to app {name}...", pushed.Out);
        var binds = requests.FindAll(r => r == "POST /v3/service_credential_bindings");
        Assert.Equal(2, binds.Count);
        Assert.True(
            requests.FindLastIndex(r => r == "POST /v3/service_credential_bindings") < requests.FindIndex(r => r.EndsWith("/actions/start", StringComparison.Ordinal)),
            string.Join('\n', requests));
        var binding = Assert.Single(broker.Bindings.Values);
        Assert.Equal("rw", binding["parameters"]!["role"]!.GetValue<string>());
        Assert.Equal(5, binding["parameters"]!["pool"]!.GetValue<int>());
        Assert.Contains($"App {name} is already bound to service instance mydb.", again.Out);
        Assert.Contains($"App {name} is already bound to service instance cache.", again.Out);
        Assert.Equal(2, staging.Handler.Requests.Count(r => r == "POST /v3/service_credential_bindings"));
        var services = env.GetProperty("system_env_json").GetProperty("VCAP_SERVICES");
        Assert.Equal("sessions", services.GetProperty("user-provided")[0].GetProperty("name").GetString());
        Assert.Equal("mydb", services.GetProperty(broker.Offering)[0].GetProperty("name").GetString());
    }

    [Fact]
    public async Task Push_AMissingService_FailsBeforeCreatingTheApp_AndAFailedBindNamesTheService()
    {
        var staging = new FakeStaging(server);
        using var rav = new Rav(server, staging.Handler);
        await TestSpace.CreateAsync(rav);
        await rav.OkAsync("cups", "cache", "-p", "{}");
        var missingApp = Names.Unique("missing");
        var failingApp = Names.Unique("failing");

        var missing = await rav.RunAsync("push", "-p", AppDirectory(rav, "missing", $"applications:\n- name: {missingApp}\n  services: [nope]\n"));
        var failing = await rav.RunAsync(
            "push", "-p", AppDirectory(rav, "failing", $"applications:\n- name: {failingApp}\n  services:\n  - name: cache\n    parameters: {{a: 1}}\n"));
        var apps = (await rav.OkAsync("apps", "--json")).Json();

        Assert.Equal(1, missing.ExitCode);
        Assert.Contains($"Service instance 'nope' (in the services of app {missingApp}) not found in space 'dev'.", missing.Err);
        Assert.Equal(1, failing.ExitCode);
        Assert.Contains($"Could not bind service instance cache to app {failingApp}: ", failing.Err);
        Assert.Contains("user-provided service instances take no binding parameters", failing.Err);
        Assert.Equal([failingApp], apps.EnumerateArray().Select(a => a.GetProperty("name").GetString()));
        Assert.DoesNotContain(staging.Handler.Requests, r => r.EndsWith("/actions/start", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Push_ABindTheBrokerRefuses_FailsNamingTheService_AndTheAppIsNotStarted()
    {
        await using var broker = await TestBroker.StartAsync();
        var staging = new FakeStaging(server);
        using var rav = new Rav(server, staging.Handler);
        await TestSpace.CreateAsync(rav);
        await BrokerSetup.RegisterAsync(rav, broker);
        await rav.OkAsync("create-service", broker.Offering, "small", "mydb", "--wait");
        var name = Names.Unique("refused");

        var result = await rav.RunAsync("push", "-p", AppDirectory(rav, "refused", $"applications:\n- name: {name}\n  services:\n  - name: mydb\n    parameters: {{fail: true}}\n"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(
            $"Create of the binding of service instance mydb to app {name} failed: {TestBroker.BindRefusal}. Unbind it with 'rav unbind-service {name} mydb -f' before binding again.",
            result.Err);
        Assert.DoesNotContain(staging.Handler.Requests, r => r.EndsWith("/actions/start", StringComparison.Ordinal));
    }

    [Fact]
    public async Task BindingAndKeyCommands_Json_AreTheBindingsAsTheApiReturnsThem()
    {
        await using var broker = await TestBroker.StartAsync();
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        await BrokerSetup.RegisterAsync(rav, broker);
        var app = await space.CreateAppAsync(server, "web");
        await rav.OkAsync("create-service", broker.Offering, "small", "mydb", "--wait");

        var bound = (await rav.OkAsync("bind-service", "web", "mydb", "--wait", "--json")).Json();
        var key = (await rav.OkAsync("create-service-key", "mydb", "laptop", "--wait", "--json")).Json();
        var keys = (await rav.OkAsync("service-keys", "mydb", "--json")).Json();
        var deletedKey = (await rav.OkAsync("delete-service-key", "mydb", "laptop", "-f", "--wait", "--json")).Json();
        var unbound = (await rav.OkAsync("unbind-service", "web", "mydb", "-f", "--wait", "--json")).Json();

        Assert.Equal("app", bound.GetProperty("type").GetString());
        Assert.Equal("succeeded", bound.GetProperty("last_operation").GetProperty("state").GetString());
        Assert.Equal(app, bound.GetProperty("relationships").GetProperty("app").GetProperty("data").GetProperty("guid").GetString());
        Assert.False(bound.TryGetProperty("credentials", out _));
        Assert.Equal("key", key.GetProperty("type").GetString());
        Assert.Equal("laptop", Assert.Single(keys.EnumerateArray()).GetProperty("name").GetString());
        Assert.Equal(key.GetProperty("guid").GetString(), deletedKey.GetProperty("guid").GetString());
        Assert.Equal(bound.GetProperty("guid").GetString(), unbound.GetProperty("guid").GetString());
    }

    private static string AppDirectory(Rav rav, string name, string manifest)
    {
        var directory = Directory.CreateDirectory(Path.Combine(rav.Scratch, name)).FullName;
        File.WriteAllText(Path.Combine(directory, "server.sh"), "#!/bin/sh\nexec python3 -m http.server \"$PORT\"\n");
        File.WriteAllText(Path.Combine(directory, "manifest.yml"), manifest.ReplaceLineEndings("\n"));
        return directory;
    }
}
