using System.Net;
using System.Text.Json;
using Ravioli.Cli.Tests.Support;
using Ravioli.Testing;

namespace Ravioli.Cli.Tests;

/// <summary>Managed and user-provided service instances, against the real control plane and a real broker.</summary>
public sealed class ServiceInstanceTests(RavioliServerFixture server) : IClassFixture<RavioliServerFixture>
{
    [Fact]
    public async Task CreateService_WithWait_IsListedByServices_AndShownByService()
    {
        await using var broker = await TestBroker.StartAsync();
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        var brokerName = await BrokerSetup.RegisterAsync(rav, broker);

        var created = await rav.OkAsync("create-service", broker.Offering, "small", "mydb", "-c", """{"size": 3}""", "-t", "primary, sql", "--wait");
        var list = await rav.OkAsync("services");
        var shown = await rav.OkAsync("service", "mydb");
        var guid = (await rav.OkAsync("service", "mydb", "--guid")).Out.Trim();

        Assert.Contains($"Creating service instance mydb in org {space.Org} / space dev as admin...", created.Out);
        Assert.Contains("Waiting for the operation to complete...\n   create in progress\n   create succeeded\n", created.Out.ReplaceLineEndings("\n"));
        Assert.EndsWith("Service instance mydb created.\nOK\n", created.Out.ReplaceLineEndings("\n"));
        Assert.Equal(3, broker.Instances[guid]["parameters"]!["size"]!.GetValue<int>());
        Assert.Contains($"Getting service instances in org {space.Org} / space dev as admin...", list.Out);
        Assert.Matches(@"(?m)^name\s+offering\s+plan\s+bound apps\s+last operation\s+broker$", list.Out);
        Assert.Matches($@"(?m)^mydb\s+{broker.Offering}\s+small\s+create succeeded\s+{brokerName}$", list.Out);
        Assert.Contains($"Showing info of service mydb in org {space.Org} / space dev as admin...", shown.Out);
        Assert.Matches($@"(?m)^guid:\s+{guid}$", shown.Out);
        Assert.Matches(@"(?m)^type:\s+managed$", shown.Out);
        Assert.Matches($@"(?m)^broker:\s+{brokerName}$", shown.Out);
        Assert.Matches($@"(?m)^offering:\s+{broker.Offering}$", shown.Out);
        Assert.Matches(@"(?m)^plan:\s+small$", shown.Out);
        Assert.Matches(@"(?m)^tags:\s+primary, sql$", shown.Out);
        Assert.Matches(@"(?m)^offering tags:\s+sql, test$", shown.Out);
        Assert.Matches(@"(?m)^description:\s+Test databases for Ravioli's tests$", shown.Out);
        Assert.Matches(@"(?m)^documentation:\s+https://example\.com/testdb$", shown.Out);
        Assert.Matches($@"(?m)^dashboard url:\s+https://dashboard\.example\.com/{guid}$", shown.Out);
        Assert.Contains("Showing status of last operation:", shown.Out);
        Assert.Matches(@"(?m)^   status:\s+create succeeded$", shown.Out);
        Assert.Matches(@"(?m)^   started:\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", shown.Out);
        Assert.Matches(@"(?m)^   updated:\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", shown.Out);
        Assert.Contains("Showing bound apps:\nThere are no bound apps for this service instance.", shown.Out.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task CreateService_AsyncWithWait_ShowsEachStateChange()
    {
        await using var broker = await TestBroker.StartAsync();
        broker.PollsBeforeDone = 1;
        using var rav = new Rav(server);
        await TestSpace.CreateAsync(rav);
        await BrokerSetup.RegisterAsync(rav, broker);

        var created = await rav.OkAsync("cs", broker.Offering, "large", "bigdb", "-w");

        Assert.Contains(
            "Waiting for the operation to complete...\n   create in progress\n   create in progress: provision: step 1\n   create succeeded: provision done\n",
            created.Out.ReplaceLineEndings("\n"));
        Assert.Contains("Service instance bigdb created.", created.Out);
    }

    [Fact]
    public async Task CreateService_WithoutWait_SaysHowToFollowIt_AndServicesShowsItInProgress()
    {
        await using var broker = await TestBroker.StartAsync();
        broker.PollsBeforeDone = 1000;
        using var rav = new Rav(server);
        await TestSpace.CreateAsync(rav);
        await BrokerSetup.RegisterAsync(rav, broker);

        var created = await rav.OkAsync("create-service", broker.Offering, "large", "slowdb");
        var json = (await rav.OkAsync("create-service", broker.Offering, "large", "slowdb2", "--json")).Json();
        var list = await rav.OkAsync("services");
        var shown = await rav.OkAsync("service", "slowdb");

        Assert.Contains("Create in progress. Use 'rav services' or 'rav service slowdb' to check operation status.\nOK\n", created.Out.ReplaceLineEndings("\n"));
        Assert.Equal("in progress", json.GetProperty("last_operation").GetProperty("state").GetString());
        Assert.Equal("slowdb2", json.GetProperty("name").GetString());
        Assert.Matches($@"(?m)^slowdb\s+{broker.Offering}\s+large\s+create in progress\s+broker-\w+$", list.Out);
        Assert.Matches(@"(?m)^   status:\s+create in progress$", shown.Out);
    }

    [Fact]
    public async Task CreateService_FailingAtTheBroker_WithWait_ExitsOneWithTheBrokersDescription()
    {
        await using var broker = await TestBroker.StartAsync();
        using var rav = new Rav(server);
        await TestSpace.CreateAsync(rav);
        await BrokerSetup.RegisterAsync(rav, broker);

        var result = await rav.RunAsync("create-service", broker.Offering, "flaky", "baddb", "--wait");
        var shown = await rav.OkAsync("service", "baddb");

        Assert.Equal(1, result.ExitCode);
        // The platform may add to the description once it has asked the broker to clean up (orphan mitigation).
        Assert.Contains($"Create of service instance baddb failed: {TestBroker.ProvisionFailure}", result.Err);
        Assert.Contains(". Delete it with 'rav delete-service baddb -f' before creating it again.", result.Err);
        Assert.EndsWith("FAILED", result.Err.TrimEnd());
        Assert.Matches(@"(?m)^   status:\s+create failed$", shown.Out);
        Assert.Contains(TestBroker.ProvisionFailure, shown.Out);
    }

    [Fact]
    public async Task CreateService_UnknownOfferingPlanOrBadJson_FailsBeforeCreatingAnything()
    {
        await using var broker = await TestBroker.StartAsync();
        var fake = new FakeEndpoints();
        using var rav = new Rav(server, fake);
        await TestSpace.CreateAsync(rav);
        await BrokerSetup.RegisterAsync(rav, broker);

        var noOffering = await rav.RunAsync("create-service", "nope", "small", "x");
        var noPlan = await rav.RunAsync("create-service", broker.Offering, "huge", "x");
        var badJson = await rav.RunAsync("create-service", broker.Offering, "small", "x", "-c", """{"size": 3,}""");
        var notAFile = await rav.RunAsync("create-service", broker.Offering, "small", "x", "-c", "params.json");

        Assert.Contains("Service offering 'nope' not found. Run 'rav marketplace' to see the offerings you can use.", noOffering.Err);
        Assert.Contains($"The plan 'huge' could not be found for service offering '{broker.Offering}'. Run 'rav marketplace -e {broker.Offering}' to see its plans.", noPlan.Err);
        Assert.Contains("The JSON given with -c is not valid JSON", badJson.Err);
        Assert.Contains("-c 'params.json' is neither a JSON object nor a file.", notAFile.Err);
        Assert.All([noOffering, noPlan, badJson, notAFile], r => Assert.Equal(1, r.ExitCode));
        Assert.DoesNotContain(fake.Requests, r => r.StartsWith("POST /v3/service_instances", StringComparison.Ordinal));
        Assert.Empty(broker.Instances);
    }

    [Fact]
    public async Task CreateService_ParametersFromAFile_AndATakenName_FailsWithTheApisReason()
    {
        await using var broker = await TestBroker.StartAsync();
        using var rav = new Rav(server);
        rav.WorkingDirectory = rav.Scratch;
        await TestSpace.CreateAsync(rav);
        await BrokerSetup.RegisterAsync(rav, broker);
        File.WriteAllText(Path.Combine(rav.Scratch, "params.json"), """{ "from": "file" }""");

        await rav.OkAsync("create-service", broker.Offering, "small", "filedb", "-c", "params.json", "--wait");
        var taken = await rav.RunAsync("create-service", broker.Offering, "small", "filedb");

        Assert.Equal("file", Assert.Single(broker.Instances.Values)["parameters"]!["from"]!.GetValue<string>());
        Assert.Equal(1, taken.ExitCode);
        Assert.Contains("a service instance named 'filedb' already exists in space 'dev'", taken.Err);
    }

    [Fact]
    public async Task CreateService_AnOfferingOfTwoBrokers_NeedsDashB()
    {
        var offering = Names.Unique("twin");
        await using var first = await TestBroker.StartAsync(offering);
        await using var second = await TestBroker.StartAsync(offering);
        using var rav = new Rav(server);
        await TestSpace.CreateAsync(rav);
        var firstName = await BrokerSetup.RegisterAsync(rav, first);
        var secondName = await BrokerSetup.RegisterAsync(rav, second);

        var ambiguous = await rav.RunAsync("create-service", offering, "small", "twin-db");
        await rav.OkAsync("create-service", offering, "small", "twin-db", "-b", secondName, "--wait");

        Assert.Equal(1, ambiguous.ExitCode);
        var names = string.Join(", ", new[] { firstName, secondName }.Order(StringComparer.Ordinal));
        Assert.Contains($"Service offering '{offering}' is provided by several service brokers: {names}. Choose one with -b BROKER.", ambiguous.Err);
        Assert.Empty(first.Instances);
        Assert.Single(second.Instances);
    }

    [Fact]
    public async Task UpdateService_ChangesPlanAndTags_AndWithoutFlagsChangesNothing()
    {
        await using var broker = await TestBroker.StartAsync();
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        await BrokerSetup.RegisterAsync(rav, broker);
        await rav.OkAsync("create-service", broker.Offering, "small", "mydb", "--wait");

        var plan = await rav.OkAsync("update-service", "mydb", "-p", "large", "-c", """{"size": 5}""", "--wait");
        var tags = await rav.OkAsync("update-service", "mydb", "-t", "blue, green");
        var nothing = await rav.OkAsync("update-service", "mydb");
        var noPlan = await rav.RunAsync("update-service", "mydb", "-p", "huge");
        var shown = await rav.OkAsync("service", "mydb");

        Assert.Contains($"Updating service instance mydb in org {space.Org} / space dev as admin...", plan.Out);
        Assert.Contains("   update succeeded", plan.Out);
        Assert.Contains("Update of service instance mydb completed.", plan.Out);
        var update = Assert.Single(broker.RequestsTo("PATCH", "/v2/service_instances/")).Body!;
        Assert.Equal(5, update["parameters"]!["size"]!.GetValue<int>());
        Assert.Contains("Update of service instance mydb completed.", tags.Out);
        Assert.Contains("No flags specified. No changes were made.", nothing.Out);
        Assert.Equal(1, noPlan.ExitCode);
        Assert.Contains("The plan 'huge' could not be found", noPlan.Err);
        Assert.Matches(@"(?m)^plan:\s+large$", shown.Out);
        Assert.Matches(@"(?m)^tags:\s+blue, green$", shown.Out);
    }

    [Fact]
    public async Task UpdateService_WithoutWait_SaysHowToFollowIt()
    {
        await using var broker = await TestBroker.StartAsync();
        using var rav = new Rav(server);
        await TestSpace.CreateAsync(rav);
        await BrokerSetup.RegisterAsync(rav, broker);
        await rav.OkAsync("create-service", broker.Offering, "small", "mydb", "--wait");
        broker.PollsBeforeDone = 1000;

        var result = await rav.OkAsync("update-service", "mydb", "-p", "large");

        Assert.Contains("Update in progress. Use 'rav services' or 'rav service mydb' to check operation status.", result.Out);
    }

    [Fact]
    public async Task RenameService_RenamesIt()
    {
        await using var broker = await TestBroker.StartAsync();
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        await BrokerSetup.RegisterAsync(rav, broker);
        await rav.OkAsync("create-service", broker.Offering, "small", "old-db", "--wait");

        var renamed = await rav.OkAsync("rename-service", "old-db", "new-db");
        var missing = await rav.RunAsync("rename-service", "old-db", "newer-db");

        Assert.Contains($"Renaming service old-db to new-db in org {space.Org} / space dev as admin...", renamed.Out);
        Assert.Matches($@"(?m)^new-db\s+{broker.Offering}\s", (await rav.OkAsync("services")).Out);
        Assert.Contains("Service instance 'old-db' not found in space 'dev'. Run 'rav services' to see the ones there.", missing.Err);
    }

    [Fact]
    public async Task DeleteService_AsksFirst_WaitsForTheBroker_AndAMissingOneIsNotAnError()
    {
        await using var broker = await TestBroker.StartAsync();
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        await BrokerSetup.RegisterAsync(rav, broker);
        await rav.OkAsync("create-service", broker.Offering, "small", "mydb", "--wait");

        var unconfirmed = await rav.RunAsync("delete-service", "mydb");
        rav.Input = "y\n";
        var deleted = await rav.OkAsync("delete-service", "mydb", "--wait");
        rav.Input = null;
        var again = await rav.OkAsync("ds", "mydb", "-f");

        Assert.Equal(1, unconfirmed.ExitCode);
        Assert.Contains("Really delete the service instance mydb? Not asking because input is not a terminal. Re-run with -f to confirm.", unconfirmed.Err);
        Assert.Contains("Really delete the service instance mydb? [y/N]: ", deleted.Out);
        Assert.Contains($"Deleting service instance mydb in org {space.Org} / space dev as admin...", deleted.Out);
        Assert.Contains("   delete succeeded", deleted.Out);
        Assert.Contains("Service instance mydb deleted.", deleted.Out);
        Assert.NotEmpty(broker.RequestsTo("DELETE", "/v2/service_instances/"));
        Assert.Contains("Service instance mydb did not exist.", again.Err);
        Assert.Contains("No services found.", (await rav.OkAsync("services")).Out);
    }

    [Fact]
    public async Task DeleteService_AsyncWithoutWait_SaysHowToFollowIt()
    {
        await using var broker = await TestBroker.StartAsync();
        using var rav = new Rav(server);
        await TestSpace.CreateAsync(rav);
        await BrokerSetup.RegisterAsync(rav, broker);
        await rav.OkAsync("create-service", broker.Offering, "large", "bigdb", "--wait");
        broker.PollsBeforeDone = 1000;

        var result = await rav.OkAsync("delete-service", "bigdb", "-f", "--json");

        Assert.Equal("delete", result.Json().GetProperty("last_operation").GetProperty("type").GetString());
        Assert.Equal("in progress", result.Json().GetProperty("last_operation").GetProperty("state").GetString());
    }

    [Fact]
    public async Task UserProvidedService_IsCreatedShownAndUpdated()
    {
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);

        var created = await rav.OkAsync("cups", "ext-db", "-p", """{"uri": "postgres://ext"}""", "-l", "syslog://logs.example.com:514", "-t", "external");
        var list = await rav.OkAsync("services");
        var shown = await rav.OkAsync("service", "ext-db");
        var updated = await rav.OkAsync("uups", "ext-db", "-p", """{"uri": "postgres://moved"}""", "-r", "https://route.example.com");
        var nothing = await rav.OkAsync("update-user-provided-service", "ext-db");
        var json = (await rav.OkAsync("service", "ext-db", "--json")).Json();

        Assert.Contains($"Creating user provided service ext-db in org {space.Org} / space dev as admin...", created.Out);
        Assert.Matches(@"(?m)^ext-db\s+user-provided\s+create succeeded$", list.Out);
        Assert.Matches(@"(?m)^type:\s+user-provided$", shown.Out);
        Assert.Matches(@"(?m)^syslog drain url:\s+syslog://logs\.example\.com:514$", shown.Out);
        Assert.Matches(@"(?m)^tags:\s+external$", shown.Out);
        Assert.Contains($"Updating user provided service ext-db in org {space.Org} / space dev as admin...", updated.Out);
        Assert.Contains("TIP: Use 'rav restage' for any bound apps to ensure your env variable changes take effect.", updated.Out);
        Assert.Contains("No flags specified. No changes were made.", nothing.Out);
        var instance = json.GetProperty("service_instance");
        Assert.Equal("https://route.example.com", instance.GetProperty("route_service_url").GetString());
        Assert.Equal("syslog://logs.example.com:514", instance.GetProperty("syslog_drain_url").GetString());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("service_plan").ValueKind);
        Assert.Equal("postgres://moved", (await CredentialsAsync(instance.GetProperty("guid").GetString()!)).GetProperty("uri").GetString());
    }

    [Fact]
    public async Task UserProvidedService_CredentialNames_AreAskedFor_OrRefusedWithoutATerminal()
    {
        using var rav = new Rav(server);
        await TestSpace.CreateAsync(rav);

        var refused = await rav.RunAsync("create-user-provided-service", "asked", "-p", "username, password");
        rav.Input = "admin\ns3cret\n";
        var asked = await rav.OkAsync("create-user-provided-service", "asked", "-p", "username, password");
        var guid = (await rav.OkAsync("service", "asked", "--guid")).Out.Trim();

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("Cannot ask for the values of username, password because input is not a terminal.", refused.Err);
        Assert.Contains("username> password> ", asked.Out);
        Assert.DoesNotContain("s3cret", asked.Out);
        var credentials = await CredentialsAsync(guid);
        Assert.Equal("admin", credentials.GetProperty("username").GetString());
        Assert.Equal("s3cret", credentials.GetProperty("password").GetString());
    }

    [Fact]
    public async Task UpdateUserProvidedService_OnAManagedInstance_AndUpdateServiceOnAUserProvidedOne_SayWhichCommandToUse()
    {
        await using var broker = await TestBroker.StartAsync();
        using var rav = new Rav(server);
        await TestSpace.CreateAsync(rav);
        await BrokerSetup.RegisterAsync(rav, broker);
        await rav.OkAsync("create-service", broker.Offering, "small", "mydb", "--wait");
        await rav.OkAsync("cups", "ext", "-p", "{}");

        var uups = await rav.RunAsync("uups", "mydb", "-p", """{"a": 1}""");
        var update = await rav.RunAsync("update-service", "ext", "-p", "small");

        Assert.Contains("Service instance mydb is not user-provided", uups.Err);
        Assert.Contains("'rav update-service mydb'", uups.Err);
        Assert.Contains("Service instance ext is user-provided", update.Err);
        Assert.Contains("'rav update-user-provided-service ext -p ...'", update.Err);
    }

    [Fact]
    public async Task Services_Json_IsTheArrayOfInstances_AndServiceJsonHasPlanOfferingAndBindings()
    {
        await using var broker = await TestBroker.StartAsync();
        using var rav = new Rav(server);
        await TestSpace.CreateAsync(rav);
        await BrokerSetup.RegisterAsync(rav, broker);
        await rav.OkAsync("create-service", broker.Offering, "small", "mydb", "--wait");

        var list = (await rav.OkAsync("services", "--json")).Json();
        var one = (await rav.OkAsync("service", "mydb", "--json")).Json();

        Assert.Equal("mydb", Assert.Single(list.EnumerateArray()).GetProperty("name").GetString());
        Assert.Equal("mydb", one.GetProperty("service_instance").GetProperty("name").GetString());
        Assert.Equal("small", one.GetProperty("service_plan").GetProperty("name").GetString());
        Assert.Equal(broker.Offering, one.GetProperty("service_offering").GetProperty("name").GetString());
        Assert.Equal(0, one.GetProperty("bindings").GetArrayLength());
    }

    [Fact]
    public async Task InstanceCommands_Json_AreTheInstancesAsTheApiReturnsThem()
    {
        await using var broker = await TestBroker.StartAsync();
        using var rav = new Rav(server);
        await TestSpace.CreateAsync(rav);
        await BrokerSetup.RegisterAsync(rav, broker);
        await rav.OkAsync("create-service", broker.Offering, "small", "mydb", "--wait");

        var tagged = (await rav.OkAsync("update-service", "mydb", "-t", "a, b", "--json")).Json();
        var renamed = (await rav.OkAsync("rename-service", "mydb", "maindb", "--json")).Json();
        var ups = (await rav.OkAsync("cups", "ext", "-p", """{"k": "v"}""", "--json")).Json();
        var updated = (await rav.OkAsync("uups", "ext", "-t", "x", "--json")).Json();
        var deleted = (await rav.OkAsync("delete-service", "ext", "-f", "--json")).Json();

        Assert.Equal(["a", "b"], tagged.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal("maindb", renamed.GetProperty("name").GetString());
        Assert.Equal("small", renamed.GetProperty("service_plan").GetProperty("name").GetString());
        Assert.Equal("user-provided", ups.GetProperty("type").GetString());
        Assert.False(ups.TryGetProperty("credentials", out _));
        Assert.Equal(["x"], updated.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(ups.GetProperty("guid").GetString(), deleted.GetProperty("guid").GetString());
    }

    private async Task<JsonElement> CredentialsAsync(string guid)
    {
        using var admin = await server.AdminClientAsync();
        return (await admin.GetJsonAsync($"/v3/service_instances/{guid}/credentials")).Expect(HttpStatusCode.OK);
    }
}
