using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Ravioli.Api.Apis;
using Ravioli.Core.Apps;
using Ravioli.Core.Security;
using Ravioli.Store;
using Ravioli.Store.Blobs;
using Ravioli.Store.Entities;
using Ravioli.Testing;
using Xunit;

namespace Ravioli.Api.Tests;

/// <summary>Processes, app actions, droplets, domains, routes and the node's desired state, over the real API.</summary>
public sealed class LifecycleApiTests(RavioliServerFixture server) : IClassFixture<RavioliServerFixture>
{
    private static object Ref(string guid) => new { data = new { guid } };

    private async Task<(HttpClient Admin, string Org, string Space, string App)> AppAsync(Dictionary<string, string>? env = null)
    {
        var admin = await server.AdminClientAsync();
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var org = (await admin.PostJsonAsync("/v3/organizations", new { name = "life-" + suffix })).Expect(HttpStatusCode.Created).Guid();
        var space = (await admin.PostJsonAsync("/v3/spaces", new { name = "s", relationships = new { organization = Ref(org) } })).Expect(HttpStatusCode.Created).Guid();
        var app = (await admin.PostJsonAsync("/v3/apps", new { name = "app-" + suffix, relationships = new { space = Ref(space) }, environment_variables = env ?? [] })).Expect(HttpStatusCode.Created).Guid();
        return (admin, org, space, app);
    }

    /// <summary>A staged droplet as the stager will leave it: a blob and a row, made current.</summary>
    private Task<string> PlantDropletAsync(string appGuid, string processTypes = "{\"web\":\"python3 app.py\",\"worker\":\"python3 worker.py\"}") =>
        server.PlantDropletAsync(appGuid, processTypes);

    private async Task<DesiredState> DesiredAsync()
    {
        using var node = server.Anonymous();
        node.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", server.Services.GetRequiredService<NodeToken>().Value);
        var (status, body) = await node.GetJsonAsync("/internal/v1/desired");
        Assert.Equal(HttpStatusCode.OK, status);
        return body.Deserialize<DesiredState>(Ravioli.Testing.Http.ApiJson)!;
    }

    [Fact]
    public async Task A_new_app_has_a_web_process_sharing_its_guid_with_cf_defaults()
    {
        var (admin, _, _, app) = await AppAsync();
        using var adminClient = admin;
        var web = (await admin.GetJsonAsync($"/v3/apps/{app}/processes/web")).Expect(HttpStatusCode.OK);
        Assert.Equal(app, web.Guid());
        Assert.Equal((1, 256, 1024, "port"), (web.GetProperty("instances").GetInt32(), web.GetProperty("memory_in_mb").GetInt32(),
            web.GetProperty("disk_in_mb").GetInt32(), web.GetProperty("health_check").GetProperty("type").GetString()));
    }

    [Fact]
    public async Task Starting_without_a_droplet_says_to_push_first()
    {
        var (admin, _, _, app) = await AppAsync();
        using var adminClient = admin;
        var problem = (await admin.PostJsonAsync($"/v3/apps/{app}/actions/start", new { })).Expect(HttpStatusCode.UnprocessableEntity);
        Assert.Contains("rav push", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("STOPPED", (await admin.GetJsonAsync($"/v3/apps/{app}")).Expect(HttpStatusCode.OK).GetProperty("state").GetString());
    }

    [Fact]
    public async Task Start_freezes_env_so_later_edits_wait_for_a_restart_and_the_node_sees_it()
    {
        var (admin, _, _, app) = await AppAsync(new() { ["GREETING"] = "hello" });
        using var adminClient = admin;
        var droplet = await PlantDropletAsync(app);
        (await admin.PostJsonAsync($"/v3/apps/{app}/actions/start", new { })).Expect(HttpStatusCode.OK);
        var first = (await DesiredAsync()).Processes.Single(p => p.AppGuid == app);
        Assert.Equal(("web", 1, 1, droplet, "hello"), (first.Type, first.Instances, first.Generation, first.Run.DropletGuid, first.Run.Environment["GREETING"]));
        // The command runs through Cloud Foundry's launcher (.profile.d first), with the app's command as $1.
        Assert.StartsWith("set -- 'python3 app.py'", first.Run.Command, StringComparison.Ordinal);
        Assert.Contains(".profile.d", first.Run.Command, StringComparison.Ordinal);
        Assert.Contains("application_name", first.Run.Environment["VCAP_APPLICATION"], StringComparison.Ordinal);
        Assert.Equal("256m", first.Run.Environment["MEMORY_LIMIT"]);

        (await admin.PatchJsonAsync($"/v3/apps/{app}/environment_variables", new { var = new Dictionary<string, string> { ["GREETING"] = "bonjour" } })).Expect(HttpStatusCode.OK);
        (await admin.PostJsonAsync($"/v3/apps/{app}/actions/start", new { })).Expect(HttpStatusCode.OK);
        var unchanged = (await DesiredAsync()).Processes.Single(p => p.AppGuid == app);
        Assert.Equal((1, "hello"), (unchanged.Generation, unchanged.Run.Environment["GREETING"]));

        (await admin.PostJsonAsync($"/v3/apps/{app}/actions/restart", new { })).Expect(HttpStatusCode.OK);
        var restarted = (await DesiredAsync()).Processes.Single(p => p.AppGuid == app);
        Assert.Equal((2, "bonjour"), (restarted.Generation, restarted.Run.Environment["GREETING"]));

        (await admin.PostJsonAsync($"/v3/apps/{app}/actions/stop", new { })).Expect(HttpStatusCode.OK);
        Assert.DoesNotContain((await DesiredAsync()).Processes, p => p.AppGuid == app);
    }

    [Fact]
    public async Task Scaling_instances_keeps_the_generation_but_new_memory_starts_a_new_one()
    {
        var (admin, _, _, app) = await AppAsync();
        using var adminClient = admin;
        await PlantDropletAsync(app);
        (await admin.PostJsonAsync($"/v3/apps/{app}/actions/start", new { })).Expect(HttpStatusCode.OK);
        (await admin.PostJsonAsync($"/v3/apps/{app}/processes/web/actions/scale", new { instances = 3 })).Expect(HttpStatusCode.OK);
        var scaled = (await DesiredAsync()).Processes.Single(p => p.AppGuid == app && p.Type == "web");
        Assert.Equal((3, 1), (scaled.Instances, scaled.Generation));
        (await admin.PostJsonAsync($"/v3/processes/{app}/actions/scale", new { memory_in_mb = 128 })).Expect(HttpStatusCode.OK);
        var resized = (await DesiredAsync()).Processes.Single(p => p.AppGuid == app && p.Type == "web");
        Assert.Equal((3, 2, 128), (resized.Instances, resized.Generation, resized.Run.MemoryMb));
    }

    [Fact]
    public async Task Droplet_process_types_become_processes_and_workers_start_at_zero()
    {
        var (admin, _, _, app) = await AppAsync();
        using var adminClient = admin;
        await PlantDropletAsync(app);
        var processes = (await admin.GetJsonAsync($"/v3/apps/{app}/processes")).Expect(HttpStatusCode.OK).GetProperty("resources");
        var byType = processes.EnumerateArray().ToDictionary(p => p.GetProperty("type").GetString()!, p => p.GetProperty("instances").GetInt32());
        Assert.Equal(new Dictionary<string, int> { ["web"] = 1, ["worker"] = 0 }, byType);
    }

    [Theory]
    [InlineData("{\"instances\": -1}", "instances")]
    [InlineData("{\"instances\": 1001}", "instances")]
    [InlineData("{\"memory_in_mb\": 0}", "memory_in_mb")]
    [InlineData("{\"memory_in_mb\": 2147483647}", "memory_in_mb")]
    [InlineData("{\"disk_in_mb\": -5}", "disk_in_mb")]
    [InlineData("{\"instances\": 99999999999}", "instances")]
    [InlineData("{\"instances\": \"3\"}", "instances")]
    public async Task Bad_scale_requests_are_422_naming_the_field(string body, string field)
    {
        var (admin, _, _, app) = await AppAsync();
        using var adminClient = admin;
        var (status, problem) = await admin.SendAsync(HttpMethod.Post, $"/v3/processes/{app}/actions/scale", body);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        Assert.Equal(1, (await admin.GetJsonAsync($"/v3/processes/{app}")).Expect(HttpStatusCode.OK).GetProperty("instances").GetInt32());
    }

    [Fact]
    public async Task Memory_and_instance_quotas_hold_at_start_and_scale()
    {
        var (admin, org, _, app) = await AppAsync();
        using var adminClient = admin;
        await PlantDropletAsync(app);
        var quota = (await admin.PostJsonAsync("/v3/organization_quotas", new { name = "tight-" + org[..8], apps = new { total_memory_in_mb = 500, per_process_memory_in_mb = 300, total_instances = 2 } })).Expect(HttpStatusCode.Created).Guid();
        (await admin.PostJsonAsync($"/v3/organization_quotas/{quota}/relationships/organizations", new { data = new[] { new { guid = org } } })).Expect(HttpStatusCode.OK);
        (await admin.PostJsonAsync($"/v3/apps/{app}/actions/start", new { })).Expect(HttpStatusCode.OK);
        (await admin.PostJsonAsync($"/v3/processes/{app}/actions/scale", new { memory_in_mb = 128 })).Expect(HttpStatusCode.OK);
        var tooMany = (await admin.PostJsonAsync($"/v3/processes/{app}/actions/scale", new { instances = 3 })).Expect(HttpStatusCode.UnprocessableEntity);
        Assert.Contains("allows 2 instances", tooMany.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var tooBig = (await admin.PostJsonAsync($"/v3/processes/{app}/actions/scale", new { memory_in_mb = 400 })).Expect(HttpStatusCode.UnprocessableEntity);
        Assert.Contains("per instance", tooBig.GetProperty("detail").GetString(), StringComparison.Ordinal);
        (await admin.PostJsonAsync($"/v3/processes/{app}/actions/scale", new { instances = 2 })).Expect(HttpStatusCode.OK);
        var tooMuch = (await admin.PostJsonAsync($"/v3/processes/{app}/actions/scale", new { memory_in_mb = 251 })).Expect(HttpStatusCode.UnprocessableEntity);
        Assert.Contains("500 MB in total", tooMuch.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var process = (await admin.GetJsonAsync($"/v3/processes/{app}")).Expect(HttpStatusCode.OK);
        Assert.Equal((2, 128), (process.GetProperty("instances").GetInt32(), process.GetProperty("memory_in_mb").GetInt32()));
    }

    [Fact]
    public async Task Health_checks_are_validated_and_kept()
    {
        var (admin, _, _, app) = await AppAsync();
        using var adminClient = admin;
        var updated = (await admin.PatchJsonAsync($"/v3/processes/{app}", new { health_check = new { type = "http", data = new { endpoint = "/health", timeout = 90, invocation_timeout = 3 } } })).Expect(HttpStatusCode.OK);
        Assert.Equal("/health", updated.GetProperty("health_check").GetProperty("data").GetProperty("endpoint").GetString());
        (await admin.PatchJsonAsync($"/v3/processes/{app}", new { health_check = new { type = "tcp" } })).Expect(HttpStatusCode.UnprocessableEntity);
        (await admin.PatchJsonAsync($"/v3/processes/{app}", new { health_check = new { type = "http", data = new { endpoint = "no-slash" } } })).Expect(HttpStatusCode.UnprocessableEntity);
        (await admin.PatchJsonAsync($"/v3/processes/{app}", new { health_check = new { data = new { timeout = 0 } } })).Expect(HttpStatusCode.UnprocessableEntity);
        (await admin.PatchJsonAsync($"/v3/processes/{app}", new { command = new string('x', 4097) })).Expect(HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task Routes_on_the_shared_domain_map_to_apps_and_reach_the_node()
    {
        var (admin, _, space, app) = await AppAsync();
        using var adminClient = admin;
        await PlantDropletAsync(app);
        var domain = (await admin.GetJsonAsync("/v3/domains?names=apps.localhost")).Expect(HttpStatusCode.OK).GetProperty("resources")[0].Guid();
        var host = "web-" + app[..8];
        var route = (await admin.PostJsonAsync("/v3/routes", new { host, relationships = new { space = Ref(space), domain = Ref(domain) } })).Expect(HttpStatusCode.Created);
        Assert.Equal($"{host}.apps.localhost", route.GetProperty("url").GetString());
        (await admin.PostJsonAsync("/v3/routes", new { host = host.ToUpperInvariant(), relationships = new { space = Ref(space), domain = Ref(domain) } })).Expect(HttpStatusCode.UnprocessableEntity);
        (await admin.PostJsonAsync($"/v3/routes/{route.Guid()}/destinations", new { destinations = new[] { new { app = new { guid = app } } } })).Expect(HttpStatusCode.OK);
        (await admin.PostJsonAsync($"/v3/routes/{route.Guid()}/destinations", new { destinations = new[] { new { app = new { guid = app } } } })).Expect(HttpStatusCode.OK);
        var mapped = (await admin.GetJsonAsync($"/v3/apps/{app}/routes")).Expect(HttpStatusCode.OK).GetProperty("resources");
        Assert.Equal(1, mapped.GetArrayLength());
        Assert.Equal(1, mapped[0].GetProperty("destinations").GetArrayLength());

        (await admin.PostJsonAsync($"/v3/apps/{app}/actions/start", new { })).Expect(HttpStatusCode.OK);
        var desired = (await DesiredAsync()).Processes.Single(p => p.AppGuid == app);
        Assert.Equal(new DesiredRoute($"{host}.apps.localhost", ""), Assert.Single(desired.Routes));
        Assert.Contains($"{host}.apps.localhost", desired.Run.Environment["VCAP_APPLICATION"], StringComparison.Ordinal);

        var destination = mapped[0].GetProperty("destinations")[0].Guid();
        (await admin.DeleteJsonAsync($"/v3/routes/{route.Guid()}/destinations/{destination}")).Expect(HttpStatusCode.NoContent);
        Assert.Empty((await DesiredAsync()).Processes.Single(p => p.AppGuid == app).Routes);
    }

    [Theory]
    [InlineData("-bad", "")]
    [InlineData("under_score", "")]
    [InlineData("ok", "no-slash")]
    [InlineData("ok", "/trailing/")]
    [InlineData("ok", "/a?b")]
    [InlineData("ok", "/../up")]
    public async Task Bad_hosts_and_paths_are_refused(string host, string path)
    {
        var (admin, _, space, _) = await AppAsync();
        using var adminClient = admin;
        var domain = (await admin.GetJsonAsync("/v3/domains?names=apps.localhost")).Expect(HttpStatusCode.OK).GetProperty("resources")[0].Guid();
        (await admin.PostJsonAsync("/v3/routes", new { host, path, relationships = new { space = Ref(space), domain = Ref(domain) } })).Expect(HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task Private_domains_belong_to_one_org_and_shared_ones_need_an_admin()
    {
        var (admin, org, space, _) = await AppAsync();
        using var adminClient = admin;
        var name = $"d{org[..8]}.example.com";
        var domain = (await admin.PostJsonAsync("/v3/domains", new { name, relationships = new { organization = Ref(org) } })).Expect(HttpStatusCode.Created).Guid();
        (await admin.PostJsonAsync("/v3/routes", new { host = "", relationships = new { space = Ref(space), domain = Ref(domain) } })).Expect(HttpStatusCode.Created);
        (await admin.DeleteJsonAsync($"/v3/domains/{domain}")).Expect(HttpStatusCode.UnprocessableEntity);
        (await admin.PostJsonAsync("/v3/domains", new { name = "not a domain" })).Expect(HttpStatusCode.UnprocessableEntity);

        var (other, _, otherSpace, _) = await AppAsync();
        using var otherClient = other;
        (await admin.PostJsonAsync("/v3/routes", new { host = "x", relationships = new { space = Ref(otherSpace), domain = Ref(domain) } })).Expect(HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task Rolling_back_to_an_older_droplet_takes_effect_on_restart()
    {
        var (admin, _, _, app) = await AppAsync();
        using var adminClient = admin;
        var first = await PlantDropletAsync(app, "{\"web\":\"v1\"}");
        var second = await PlantDropletAsync(app, "{\"web\":\"v2\"}");
        Assert.Equal(second, (await admin.GetJsonAsync($"/v3/apps/{app}/droplets/current")).Expect(HttpStatusCode.OK).Guid());
        (await admin.PostJsonAsync($"/v3/apps/{app}/actions/start", new { })).Expect(HttpStatusCode.OK);
        Assert.Equal(second, (await DesiredAsync()).Processes.Single(p => p.AppGuid == app).Run.DropletGuid);
        (await admin.PatchJsonAsync($"/v3/apps/{app}/relationships/current_droplet", new { data = new { guid = first } })).Expect(HttpStatusCode.OK);
        Assert.Equal(second, (await DesiredAsync()).Processes.Single(p => p.AppGuid == app).Run.DropletGuid);
        (await admin.PostJsonAsync($"/v3/apps/{app}/actions/restart", new { })).Expect(HttpStatusCode.OK);
        var rolledBack = (await DesiredAsync()).Processes.Single(p => p.AppGuid == app).Run;
        Assert.Equal(first, rolledBack.DropletGuid);
        Assert.StartsWith("set -- 'v1'", rolledBack.Command, StringComparison.Ordinal);
        Assert.Equal(2, (await admin.GetJsonAsync($"/v3/apps/{app}/droplets")).Expect(HttpStatusCode.OK).GetProperty("pagination").GetProperty("total_results").GetInt32());
        (await admin.PatchJsonAsync($"/v3/apps/{app}/relationships/current_droplet", new { data = new { guid = "not-a-droplet" } })).Expect(HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task The_node_api_refuses_users_and_serves_droplets_by_checksum()
    {
        using var admin = await server.AdminClientAsync();
        (await admin.GetJsonAsync("/internal/v1/desired")).Expect(HttpStatusCode.Unauthorized);
        using var anonymous = server.Anonymous();
        (await anonymous.GetJsonAsync("/internal/v1/desired")).Expect(HttpStatusCode.Unauthorized);

        var (owner, _, _, app) = await AppAsync();
        using var ownerClient = owner;
        await PlantDropletAsync(app);
        var sha = (await owner.GetJsonAsync($"/v3/apps/{app}/droplets/current")).Expect(HttpStatusCode.OK).GetProperty("checksum").GetString();
        using var node = server.Anonymous();
        node.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", server.Services.GetRequiredService<NodeToken>().Value);
        using var response = await node.GetAsync($"/internal/v1/droplets/{sha}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("droplet-", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var missing = await node.GetAsync($"/internal/v1/droplets/{new string('0', 64)}");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        using var traversal = await node.GetAsync("/internal/v1/droplets/..%2F..%2Fkeys%2Fnode-token");
        Assert.Equal(HttpStatusCode.NotFound, traversal.StatusCode);

        var etagFirst = await EtagAsync(node);
        using var again = new HttpRequestMessage(HttpMethod.Get, "/internal/v1/desired");
        again.Headers.IfNoneMatch.Add(new EntityTagHeaderValue(etagFirst));
        using var notModified = await node.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
    }

    [Fact]
    public async Task A_watch_of_the_desired_set_is_answered_when_a_committed_write_changes_it()
    {
        var (admin, _, _, app) = await AppAsync();
        using var adminClient = admin;
        await PlantDropletAsync(app);
        using var node = server.Anonymous();
        node.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", server.Services.GetRequiredService<NodeToken>().Value);
        var before = await EtagAsync(node);

        // Nothing changes: the watch is held for its time, then answered 304 with the same ETag.
        using (var quiet = await node.SendAsync(Watch(before, 1)))
        {
            Assert.Equal(HttpStatusCode.NotModified, quiet.StatusCode);
            Assert.Equal(before, quiet.Headers.ETag!.Tag);
        }

        // A start is committed while the watch is held: the watch answers with the new set, the app's process in it.
        var held = node.SendAsync(Watch(before, 30));
        await Task.Delay(300);
        Assert.False(held.IsCompleted, "the watch was answered before anything changed");
        (await admin.PostJsonAsync($"/v3/apps/{app}/actions/start", new { })).Expect(HttpStatusCode.OK);
        using var changed = await held.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.NotEqual(before, changed.Headers.ETag!.Tag);
        var state = (await changed.Content.ReadFromJsonAsync<DesiredState>(Ravioli.Testing.Http.ApiJson))!;
        Assert.Contains(state.Processes, p => p.AppGuid == app);

        foreach (var wait in new[] { "-1", "31", "soon" })
        {
            using var bad = await node.GetAsync($"/internal/v1/desired?wait={wait}");
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        }
    }

    private static HttpRequestMessage Watch(string etag, int seconds)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"/internal/v1/desired?wait={seconds}");
        request.Headers.IfNoneMatch.Add(new EntityTagHeaderValue(etag));
        return request;
    }

    private static async Task<string> EtagAsync(HttpClient node)
    {
        using var response = await node.GetAsync("/internal/v1/desired");
        return response.Headers.ETag!.Tag;
    }
}
