using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Ravioli.Core.Apps;
using Ravioli.Services.Osb;
using Ravioli.Store;
using Ravioli.Store.Entities;
using Ravioli.Testing;
using Xunit;

namespace Ravioli.Api.Tests;

/// <summary>
/// Every role × every endpoint family × own and foreign tenant. Each member of org A holds exactly one
/// role; org B is the foreign tenant. Outcomes are a status code, or "n=K" for how many results a list shows.
/// </summary>
public sealed class RoleMatrixTests(RoleMatrixTests.World world) : IClassFixture<RoleMatrixTests.World>
{
    public static readonly string[] Roles = ["admin", "org_manager", "org_auditor", "org_user", "space_developer", "space_manager", "space_auditor", "outsider"];

    public sealed class World : RavioliServerFixture
    {
        public readonly Dictionary<string, HttpClient> Clients = [];
        public HttpClient Admin = null!;
        public string OrgA = "", SpaceA1 = "", SpaceA2 = "", AppA = "", OrgB = "", SpaceB1 = "", AppB = "", QuotaA = "", QuotaB = "";

        /// <summary>One of each app-lifecycle and service resource in space a1 (index 0) and in b1 (index 1).</summary>
        public readonly string[] Route = new string[2], Droplet = new string[2], Package = new string[2], Build = new string[2], Task = new string[2],
            AppEvent = new string[2], Ups = new string[2], Managed = new string[2], AppBinding = new string[2], Key = new string[2], SpaceBroker = new string[2];

        public string Domain = "", GlobalBroker = "", PublicPlan = "", AdminPlan = "";
        public TestBroker Broker { get; } = new();
        private int _counter;

        protected override void Configure(WebApplicationBuilder builder) =>
            builder.Services.AddSingleton(new OsbClientOptions { RequestTimeout = TimeSpan.FromSeconds(5) });

        public string Unique(string prefix) => $"{prefix}-{Interlocked.Increment(ref _counter)}";

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            Admin = await AdminClientAsync();
            Clients["admin"] = Admin;
            OrgA = await Create("/v3/organizations", new { name = "org-a" });
            OrgB = await Create("/v3/organizations", new { name = "org-b" });
            SpaceA1 = await Create("/v3/spaces", new { name = "a1", relationships = new { organization = Ref(OrgA) } });
            SpaceA2 = await Create("/v3/spaces", new { name = "a2", relationships = new { organization = Ref(OrgA) } });
            SpaceB1 = await Create("/v3/spaces", new { name = "b1", relationships = new { organization = Ref(OrgB) } });
            AppA = await Create("/v3/apps", new { name = "app-a", relationships = new { space = Ref(SpaceA1) }, environment_variables = new Dictionary<string, string> { ["SECRET"] = "a-secret" } });
            AppB = await Create("/v3/apps", new { name = "app-b", relationships = new { space = Ref(SpaceB1) }, environment_variables = new Dictionary<string, string> { ["SECRET"] = "b-secret" } });
            QuotaA = await Create("/v3/organization_quotas", new { name = "quota-a" });
            QuotaB = await Create("/v3/organization_quotas", new { name = "quota-b" });
            (await Admin.PostJsonAsync($"/v3/organization_quotas/{QuotaA}/relationships/organizations", new { data = new[] { new { guid = OrgA } } })).Expect(HttpStatusCode.OK);
            (await Admin.PostJsonAsync($"/v3/organization_quotas/{QuotaB}/relationships/organizations", new { data = new[] { new { guid = OrgB } } })).Expect(HttpStatusCode.OK);

            await ServicesAndLifecycleAsync();

            foreach (var role in Roles.Skip(1))
            {
                var user = await Create("/v3/users", new { username = role, password = "password-" + role });
                switch (role)
                {
                    case "org_manager": await Grant("organization_manager", user, org: OrgA); break;
                    case "org_auditor": await Grant("organization_auditor", user, org: OrgA); break;
                    case "org_user": await Grant("organization_user", user, org: OrgA); break;
                    case "space_developer" or "space_manager" or "space_auditor":
                        await Grant("organization_user", user, org: OrgA);
                        await Grant(role, user, space: SpaceA1);
                        break;
                }
                Clients[role] = await LoginAsync(role, "password-" + role);
            }
        }

        public static object Ref(string guid) => new { data = new { guid } };

        private async Task ServicesAndLifecycleAsync()
        {
            await Broker.InitializeAsync();
            Domain = (await Admin.GetJsonAsync("/v3/domains?names=apps.localhost")).Expect(HttpStatusCode.OK).GetProperty("resources")[0].Guid();
            GlobalBroker = await Create("/v3/service_brokers", ServicesFixture.BrokerBody("matrix-broker", Broker.Url));
            var plans = (await Admin.GetJsonAsync($"/v3/service_plans?service_broker_guids={GlobalBroker}")).Expect(HttpStatusCode.OK).GetProperty("resources").EnumerateArray().ToList();
            PublicPlan = plans.Single(p => p.GetProperty("name").GetString() == "small").Guid();
            AdminPlan = plans.Single(p => p.GetProperty("name").GetString() == "large").Guid();
            (await Admin.PatchJsonAsync($"/v3/service_plans/{PublicPlan}/visibility", new { type = "public" })).Expect(HttpStatusCode.OK);
            foreach (var (i, space, app) in new[] { (0, SpaceA1, AppA), (1, SpaceB1, AppB) })
            {
                Route[i] = await Create("/v3/routes", new { host = Unique("matrix"), relationships = new { space = Ref(space), domain = Ref(Domain) } });
                (await Admin.PostJsonAsync($"/v3/routes/{Route[i]}/destinations", new { destinations = new[] { new { app = new { guid = app } } } })).Expect(HttpStatusCode.OK);
                Droplet[i] = await PlantDropletAsync(app);
                Package[i] = await Create("/v3/packages", new { type = "bits", relationships = new { app = Ref(app) } });
                Build[i] = await PlantBuildAsync(app, Package[i]);
                Task[i] = await Create($"/v3/apps/{app}/tasks", new { command = "true" });
                AppEvent[i] = (await Admin.GetJsonAsync($"/v3/audit_events?target_guids={app}&types=audit.app.create")).Expect(HttpStatusCode.OK).GetProperty("resources")[0].Guid();
                Ups[i] = await Create("/v3/service_instances", new { type = "user-provided", name = "ups", relationships = new { space = Ref(space) }, credentials = new { password = $"ups-secret-{i}" } });
                AppBinding[i] = await Create("/v3/service_credential_bindings", new { type = "app", relationships = new { service_instance = Ref(Ups[i]), app = Ref(app) } });
                Key[i] = await Create("/v3/service_credential_bindings", new { type = "key", name = "key", relationships = new { service_instance = Ref(Ups[i]) } });
                Managed[i] = await CreateManagedAsync(space, "managed");
                SpaceBroker[i] = await Create("/v3/service_brokers", ServicesFixture.BrokerBody(Unique("space-broker"), Broker.Url, space: space));
            }
        }

        /// <summary>A managed instance of the public plan, waited for until the broker has made it.</summary>
        public async Task<string> CreateManagedAsync(string space, string name)
        {
            var guid = (await Admin.PostJsonAsync("/v3/service_instances", new { type = "managed", name, relationships = new { space = Ref(space), service_plan = Ref(PublicPlan) } }))
                .Expect(HttpStatusCode.Accepted).Guid();
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while ((await Admin.GetJsonAsync($"/v3/service_instances/{guid}")).Expect(HttpStatusCode.OK).GetProperty("last_operation").GetProperty("state").GetString() == "in progress")
            {
                Assert.True(DateTime.UtcNow < deadline, $"instance {name} stayed in progress");
                await System.Threading.Tasks.Task.Delay(100);
            }
            return guid;
        }

        private async Task<string> PlantDropletAsync(string app)
        {
            using var scope = Services.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<RavioliDb>();
            var droplet = new DropletEntity { AppGuid = app, State = DropletStates.Staged, BlobKey = new string('0', 64), Buildpack = "binary_buildpack", ProcessTypes = "{\"web\":\"./run\"}" };
            db.Droplets.Add(droplet);
            await Ravioli.Api.Apis.DropletsApi.MakeCurrentAsync(db, db.Apps.Single(a => a.Guid == app), droplet, default);
            await db.SaveChangesAsync();
            return droplet.Guid;
        }

        /// <summary>A finished (failed) build as staging leaves one; staging itself is not what this matrix is about.</summary>
        private async Task<string> PlantBuildAsync(string app, string package)
        {
            using var scope = Services.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<RavioliDb>();
            var build = new BuildEntity { AppGuid = app, PackageGuid = package, State = BuildStates.Failed, Error = "NoBuildpackDetected", CreatedByGuid = "admin", CreatedByName = "admin" };
            db.Builds.Add(build);
            await db.SaveChangesAsync();
            return build.Guid;
        }

        public async Task<string> Create(string path, object body) => (await Admin.PostJsonAsync(path, body)).Expect(HttpStatusCode.Created).Guid();

        public async Task<string> Grant(string type, string user, string? org = null, string? space = null) =>
            await Create("/v3/roles", org is not null
                ? new { type, relationships = (object)new { user = Ref(user), organization = Ref(org) } }
                : new { type, relationships = (object)new { user = Ref(user), space = Ref(space!) } });

        public override async Task DisposeAsync()
        {
            foreach (var client in Clients.Values)
            {
                client.Dispose();
            }
            await base.DisposeAsync();
            await Broker.DisposeAsync();
        }
    }

    private delegate Task<string> Operation(World w, HttpClient c, bool foreign);

    private static async Task<string> Status(Task<(HttpStatusCode Status, JsonElement Body)> call) => ((int)(await call).Status).ToString();

    private static async Task<string> Count(Task<(HttpStatusCode Status, JsonElement Body)> call)
    {
        var (status, body) = await call;
        return status == HttpStatusCode.OK ? "n=" + body.GetProperty("pagination").GetProperty("total_results").GetInt32() : ((int)status).ToString();
    }

    private static string Org(World w, bool f) => f ? w.OrgB : w.OrgA;

    private static string Space(World w, bool f) => f ? w.SpaceB1 : w.SpaceA1;

    private static string App(World w, bool f) => f ? w.AppB : w.AppA;

    private static string Of(string[] pair, bool f) => pair[f ? 1 : 0];

    /// <summary>Readable by every role in the space and the org's managers and auditors (not by an org user without a space role).</summary>
    private static readonly string[] SeeOwn = ["200", "200", "200", "404", "200", "200", "200", "404"];

    /// <summary>Another tenant's: only an admin.</summary>
    private static readonly string[] SeeForeign = ["200", "404", "404", "404", "404", "404", "404", "404"];

    /// <summary>Space developers (and admins) only; those who see it but may not are told 403, the others 404.</summary>
    private static string[] DevOwn(string ok) => [ok, "403", "403", "404", ok, "403", "403", "404"];

    private static string[] DevForeign(string ok) => [ok, "404", "404", "404", "404", "404", "404", "404"];

    /// <summary>Creating in a space: a space developer may; the space invisible is the body's fault (422).</summary>
    private static string[] CreateOwn(string ok) => [ok, "403", "403", "422", ok, "403", "403", "422"];

    private static string[] CreateForeign(string ok) => [ok, "422", "422", "422", "422", "422", "422", "422"];

    private static async Task<string> Some(Task<(HttpStatusCode Status, JsonElement Body)> call)
    {
        var (status, body) = await call;
        return status == HttpStatusCode.OK ? (body.GetProperty("pagination").GetProperty("total_results").GetInt32() > 0 ? "some" : "none") : ((int)status).ToString();
    }

    private static ByteArrayContent SmallZip()
    {
        using var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
        {
            using var writer = new StreamWriter(zip.CreateEntry("run").Open());
            writer.Write("#!/bin/sh\necho hi\n");
        }
        var content = new ByteArrayContent(memory.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        return content;
    }

    /// <summary>Operation, then the expected outcome per role in Roles order, for org A (own) and for org B (foreign).</summary>
    private static readonly Dictionary<string, (Operation Run, string[] Own, string[] Foreign)> Matrix = new()
    {
        //                                                                                 admin   org_mgr org_aud org_usr sp_dev  sp_mgr  sp_aud  outsider
        ["org.list"] = ((w, c, f) => Count(c.GetJsonAsync($"/v3/organizations?guids={Org(w, f)}")),
            ["n=1", "n=1", "n=1", "n=1", "n=1", "n=1", "n=1", "n=0"], ["n=1", "n=0", "n=0", "n=0", "n=0", "n=0", "n=0", "n=0"]),
        ["org.read"] = ((w, c, f) => Status(c.GetJsonAsync($"/v3/organizations/{Org(w, f)}")),
            ["200", "200", "200", "200", "200", "200", "200", "404"], ["200", "404", "404", "404", "404", "404", "404", "404"]),
        ["org.update"] = ((w, c, f) => Status(c.PatchJsonAsync($"/v3/organizations/{Org(w, f)}", new { name = f ? "org-b" : "org-a" })),
            ["200", "200", "403", "403", "403", "403", "403", "404"], ["200", "404", "404", "404", "404", "404", "404", "404"]),
        ["org.suspend"] = ((w, c, f) => Status(c.PatchJsonAsync($"/v3/organizations/{Org(w, f)}", new { suspended = false })),
            ["200", "403", "403", "403", "403", "403", "403", "404"], ["200", "404", "404", "404", "404", "404", "404", "404"]),
        ["org.delete"] = (async (w, c, f) =>
            {
                var org = await w.Create("/v3/organizations", new { name = w.Unique("doomed") });
                // Give org A's members the same footing in the doomed org, so only the role decides.
                if (!f)
                {
                    foreach (var (member, type) in new[] { ("org_manager", "organization_manager"), ("org_auditor", "organization_auditor"), ("org_user", "organization_user") })
                    {
                        var user = (await w.Admin.GetJsonAsync($"/v3/users?usernames={member}")).Body.GetProperty("resources")[0].Guid();
                        await w.Grant(type, user, org: org);
                    }
                }
                return await Status(c.DeleteJsonAsync($"/v3/organizations/{org}"));
            },
            ["204", "403", "403", "403", "404", "404", "404", "404"], ["204", "404", "404", "404", "404", "404", "404", "404"]),
        ["org.users"] = ((w, c, f) => Status(c.GetJsonAsync($"/v3/organizations/{Org(w, f)}/users")),
            ["200", "200", "200", "200", "200", "200", "200", "404"], ["200", "404", "404", "404", "404", "404", "404", "404"]),
        ["space.list"] = ((w, c, f) => Count(c.GetJsonAsync($"/v3/spaces?organization_guids={Org(w, f)}&names=a1,a2,b1")),
            ["n=2", "n=2", "n=2", "n=0", "n=1", "n=1", "n=1", "n=0"], ["n=1", "n=0", "n=0", "n=0", "n=0", "n=0", "n=0", "n=0"]),
        ["space.read"] = ((w, c, f) => Status(c.GetJsonAsync($"/v3/spaces/{Space(w, f)}")),
            ["200", "200", "200", "404", "200", "200", "200", "404"], ["200", "404", "404", "404", "404", "404", "404", "404"]),
        ["space.read_other_space"] = ((w, c, f) => Status(c.GetJsonAsync($"/v3/spaces/{(f ? w.SpaceB1 : w.SpaceA2)}")),
            ["200", "200", "200", "404", "404", "404", "404", "404"], ["200", "404", "404", "404", "404", "404", "404", "404"]),
        ["space.create"] = ((w, c, f) => Status(c.PostJsonAsync("/v3/spaces", new { name = w.Unique("new-space"), relationships = new { organization = World.Ref(Org(w, f)) } })),
            ["201", "201", "403", "403", "403", "403", "403", "422"], ["201", "422", "422", "422", "422", "422", "422", "422"]),
        ["space.update"] = ((w, c, f) => Status(c.PatchJsonAsync($"/v3/spaces/{Space(w, f)}", new { name = f ? "b1" : "a1" })),
            ["200", "200", "403", "404", "403", "200", "403", "404"], ["200", "404", "404", "404", "404", "404", "404", "404"]),
        ["space.delete"] = (async (w, c, f) =>
            {
                var space = await w.Create("/v3/spaces", new { name = w.Unique("doomed"), relationships = new { organization = World.Ref(Org(w, f)) } });
                return await Status(c.DeleteJsonAsync($"/v3/spaces/{space}"));
            },
            ["204", "204", "403", "404", "404", "404", "404", "404"], ["204", "404", "404", "404", "404", "404", "404", "404"]),
        ["space.users"] = ((w, c, f) => Status(c.GetJsonAsync($"/v3/spaces/{Space(w, f)}/users")),
            ["200", "200", "200", "404", "200", "200", "200", "404"], ["200", "404", "404", "404", "404", "404", "404", "404"]),
        ["app.list"] = ((w, c, f) => Count(c.GetJsonAsync($"/v3/apps?space_guids={Space(w, f)}&names=app-a,app-b")),
            ["n=1", "n=1", "n=1", "n=0", "n=1", "n=1", "n=1", "n=0"], ["n=1", "n=0", "n=0", "n=0", "n=0", "n=0", "n=0", "n=0"]),
        ["app.read"] = ((w, c, f) => Status(c.GetJsonAsync($"/v3/apps/{App(w, f)}")),
            ["200", "200", "200", "404", "200", "200", "200", "404"], ["200", "404", "404", "404", "404", "404", "404", "404"]),
        ["app.create"] = ((w, c, f) => Status(c.PostJsonAsync("/v3/apps", new { name = w.Unique("new-app"), relationships = new { space = World.Ref(Space(w, f)) } })),
            ["201", "403", "403", "422", "201", "403", "403", "422"], ["201", "422", "422", "422", "422", "422", "422", "422"]),
        ["app.update"] = ((w, c, f) => Status(c.PatchJsonAsync($"/v3/apps/{App(w, f)}", new { name = f ? "app-b" : "app-a" })),
            ["200", "403", "403", "404", "200", "403", "403", "404"], ["200", "404", "404", "404", "404", "404", "404", "404"]),
        ["app.delete"] = (async (w, c, f) =>
            {
                var app = await w.Create("/v3/apps", new { name = w.Unique("doomed"), relationships = new { space = World.Ref(Space(w, f)) } });
                return await Status(c.DeleteJsonAsync($"/v3/apps/{app}"));
            },
            ["204", "403", "403", "404", "204", "403", "403", "404"], ["204", "404", "404", "404", "404", "404", "404", "404"]),
        ["app.env.read"] = ((w, c, f) => Status(c.GetJsonAsync($"/v3/apps/{App(w, f)}/environment_variables")),
            ["200", "403", "403", "404", "200", "403", "403", "404"], ["200", "404", "404", "404", "404", "404", "404", "404"]),
        ["app.env.write"] = ((w, c, f) => Status(c.PatchJsonAsync($"/v3/apps/{App(w, f)}/environment_variables", new { var = new Dictionary<string, string> { ["TOUCHED"] = "yes" } })),
            ["200", "403", "403", "404", "200", "403", "403", "404"], ["200", "404", "404", "404", "404", "404", "404", "404"]),
        ["process.scale"] = ((w, c, f) => Status(c.PostJsonAsync($"/v3/processes/{App(w, f)}/actions/scale", new { instances = 1 })),
            ["200", "403", "403", "404", "200", "403", "403", "404"], ["200", "404", "404", "404", "404", "404", "404", "404"]),
        ["process.read"] = ((w, c, f) => Status(c.GetJsonAsync($"/v3/apps/{App(w, f)}/processes/web")),
            ["200", "200", "200", "404", "200", "200", "200", "404"], ["200", "404", "404", "404", "404", "404", "404", "404"]),
        ["app.stop"] = ((w, c, f) => Status(c.PostJsonAsync($"/v3/apps/{App(w, f)}/actions/stop", new { })),
            ["200", "403", "403", "404", "200", "403", "403", "404"], ["200", "404", "404", "404", "404", "404", "404", "404"]),
        ["route.create"] = (async (w, c, f) =>
            {
                var domain = (await w.Admin.GetJsonAsync("/v3/domains?names=apps.localhost")).Body.GetProperty("resources")[0].Guid();
                return await Status(c.PostJsonAsync("/v3/routes", new { host = w.Unique("r"), relationships = new { space = World.Ref(Space(w, f)), domain = World.Ref(domain) } }));
            },
            ["201", "403", "403", "422", "201", "403", "403", "422"], ["201", "422", "422", "422", "422", "422", "422", "422"]),
        ["route.list"] = (async (w, c, f) =>
            {
                var domain = (await w.Admin.GetJsonAsync("/v3/domains?names=apps.localhost")).Body.GetProperty("resources")[0].Guid();
                await w.Create("/v3/routes", new { host = w.Unique("listed"), relationships = new { space = World.Ref(Space(w, f)), domain = World.Ref(domain) } });
                var (status, body) = await c.GetJsonAsync($"/v3/routes?space_guids={Space(w, f)}");
                return status == HttpStatusCode.OK ? (body.GetProperty("pagination").GetProperty("total_results").GetInt32() > 0 ? "some" : "none") : ((int)status).ToString();
            },
            ["some", "some", "some", "none", "some", "some", "some", "none"], ["some", "none", "none", "none", "none", "none", "none", "none"]),
        ["role.list"] = ((w, c, f) => Count(c.GetJsonAsync($"/v3/roles?organization_guids={Org(w, f)}&types=organization_manager")),
            ["n=1", "n=1", "n=1", "n=1", "n=1", "n=1", "n=1", "n=0"], ["n=0", "n=0", "n=0", "n=0", "n=0", "n=0", "n=0", "n=0"]),
        ["role.create_org"] = (async (w, c, f) =>
            {
                var user = await w.Create("/v3/users", new { username = w.Unique("newbie"), password = "long-enough" });
                return await Status(c.PostJsonAsync("/v3/roles", new { type = "organization_auditor", relationships = new { user = World.Ref(user), organization = World.Ref(Org(w, f)) } }));
            },
            ["201", "201", "403", "403", "403", "403", "403", "422"], ["201", "422", "422", "422", "422", "422", "422", "422"]),
        ["role.create_space"] = (async (w, c, f) =>
            {
                var user = await w.Create("/v3/users", new { username = w.Unique("newbie"), password = "long-enough" });
                await w.Grant("organization_user", user, org: Org(w, f));
                return await Status(c.PostJsonAsync("/v3/roles", new { type = "space_auditor", relationships = new { user = World.Ref(user), space = World.Ref(Space(w, f)) } }));
            },
            ["201", "201", "403", "422", "403", "201", "403", "422"], ["201", "422", "422", "422", "422", "422", "422", "422"]),
        ["role.delete"] = (async (w, c, f) =>
            {
                var user = await w.Create("/v3/users", new { username = w.Unique("leaver"), password = "long-enough" });
                await w.Grant("organization_user", user, org: Org(w, f));
                var role = await w.Grant("space_auditor", user, space: Space(w, f));
                return await Status(c.DeleteJsonAsync($"/v3/roles/{role}"));
            },
            ["204", "204", "403", "404", "403", "204", "403", "404"], ["204", "404", "404", "404", "404", "404", "404", "404"]),
        ["user.list"] = ((w, c, f) => Count(c.GetJsonAsync($"/v3/users?usernames={(f ? "nobody-in-b" : "org_manager")}")),
            ["n=1", "n=1", "n=1", "n=1", "n=1", "n=1", "n=1", "n=0"], ["n=0", "n=0", "n=0", "n=0", "n=0", "n=0", "n=0", "n=0"]),
        ["user.create"] = ((w, c, f) => Status(c.PostJsonAsync("/v3/users", new { username = w.Unique("made"), password = "long-enough" })),
            ["201", "403", "403", "403", "403", "403", "403", "403"], ["201", "403", "403", "403", "403", "403", "403", "403"]),
        ["quota.read"] = ((w, c, f) => Status(c.GetJsonAsync($"/v3/organization_quotas/{(f ? w.QuotaB : w.QuotaA)}")),
            ["200", "200", "200", "200", "200", "200", "200", "404"], ["200", "404", "404", "404", "404", "404", "404", "404"]),
        ["quota.update"] = ((w, c, f) => Status(c.PatchJsonAsync($"/v3/organization_quotas/{(f ? w.QuotaB : w.QuotaA)}", new { apps = new { total_apps = (int?)null } })),
            ["200", "403", "403", "403", "403", "403", "403", "404"], ["200", "404", "404", "404", "404", "404", "404", "404"]),
        ["quota.create"] = ((w, c, f) => Status(c.PostJsonAsync("/v3/organization_quotas", new { name = w.Unique("quota") })),
            ["201", "403", "403", "403", "403", "403", "403", "403"], ["201", "403", "403", "403", "403", "403", "403", "403"]),
        ["events.org"] = ((w, c, f) => Count(c.GetJsonAsync($"/v3/audit_events?organization_guids={Org(w, f)}&types=audit.organization.create")),
            ["n=1", "n=1", "n=1", "n=0", "n=0", "n=0", "n=0", "n=0"], ["n=1", "n=0", "n=0", "n=0", "n=0", "n=0", "n=0", "n=0"]),
        ["events.space"] = ((w, c, f) => Count(c.GetJsonAsync($"/v3/audit_events?space_guids={Space(w, f)}&types=audit.space.create")),
            ["n=1", "n=1", "n=1", "n=0", "n=1", "n=1", "n=1", "n=0"], ["n=1", "n=0", "n=0", "n=0", "n=0", "n=0", "n=0", "n=0"]),
        ["events.read"] = ((w, c, f) => Status(c.GetJsonAsync($"/v3/audit_events/{Of(w.AppEvent, f)}")), SeeOwn, SeeForeign),
        ["events.by_target"] = ((w, c, f) => Some(c.GetJsonAsync($"/v3/audit_events?target_guids={App(w, f)}")),
            ["some", "some", "some", "none", "some", "some", "some", "none"], ["some", "none", "none", "none", "none", "none", "none", "none"]),

        // Processes, routes and droplets of an app.
        ["process.list"] = ((w, c, f) => Count(c.GetJsonAsync($"/v3/processes?app_guids={App(w, f)}")),
            ["n=1", "n=1", "n=1", "n=0", "n=1", "n=1", "n=1", "n=0"], ["n=1", "n=0", "n=0", "n=0", "n=0", "n=0", "n=0", "n=0"]),
        ["process.get"] = ((w, c, f) => Status(c.GetJsonAsync($"/v3/processes/{App(w, f)}")), SeeOwn, SeeForeign),
        ["process.stats"] = ((w, c, f) => Status(c.GetJsonAsync($"/v3/processes/{App(w, f)}/stats")), SeeOwn, SeeForeign),
        ["process.update"] = ((w, c, f) => Status(c.PatchJsonAsync($"/v3/processes/{App(w, f)}", new { health_check = new { type = "port" } })), DevOwn("200"), DevForeign("200")),
        ["process.scale_by_type"] = ((w, c, f) => Status(c.PostJsonAsync($"/v3/apps/{App(w, f)}/processes/web/actions/scale", new { instances = 1 })), DevOwn("200"), DevForeign("200")),
        ["app.routes"] = ((w, c, f) => Status(c.GetJsonAsync($"/v3/apps/{App(w, f)}/routes")), SeeOwn, SeeForeign),
        ["route.read"] = ((w, c, f) => Status(c.GetJsonAsync($"/v3/routes/{Of(w.Route, f)}")), SeeOwn, SeeForeign),
        ["route.destinations"] = ((w, c, f) => Status(c.GetJsonAsync($"/v3/routes/{Of(w.Route, f)}/destinations")), SeeOwn, SeeForeign),
        ["route.map"] = ((w, c, f) => Status(c.PostJsonAsync($"/v3/routes/{Of(w.Route, f)}/destinations", new { destinations = new[] { new { app = new { guid = App(w, f) } } } })),
            DevOwn("200"), DevForeign("200")),
        ["route.unmap"] = (async (w, c, f) =>
            {
                var route = await w.Create("/v3/routes", new { host = w.Unique("unmap"), relationships = new { space = World.Ref(Space(w, f)), domain = World.Ref(w.Domain) } });
                var mapped = (await w.Admin.PostJsonAsync($"/v3/routes/{route}/destinations", new { destinations = new[] { new { app = new { guid = App(w, f) } } } })).Expect(HttpStatusCode.OK);
                return await Status(c.DeleteJsonAsync($"/v3/routes/{route}/destinations/{mapped.GetProperty("destinations")[0].Guid()}"));
            },
            DevOwn("204"), DevForeign("204")),
        ["route.delete"] = (async (w, c, f) =>
            {
                var route = await w.Create("/v3/routes", new { host = w.Unique("doomed"), relationships = new { space = World.Ref(Space(w, f)), domain = World.Ref(w.Domain) } });
                return await Status(c.DeleteJsonAsync($"/v3/routes/{route}"));
            },
            DevOwn("204"), DevForeign("204")),
        ["droplet.read"] = ((w, c, f) => Status(c.GetJsonAsync($"/v3/droplets/{Of(w.Droplet, f)}")), SeeOwn, SeeForeign),
        ["droplet.list"] = ((w, c, f) => Status(c.GetJsonAsync($"/v3/apps/{App(w, f)}/droplets")), SeeOwn, SeeForeign),
        ["droplet.current"] = ((w, c, f) => Status(c.GetJsonAsync($"/v3/apps/{App(w, f)}/droplets/current")), SeeOwn, SeeForeign),
        ["droplet.set_current"] = ((w, c, f) => Status(c.PatchJsonAsync($"/v3/apps/{App(w, f)}/relationships/current_droplet", new { data = new { guid = Of(w.Droplet, f) } })),
            DevOwn("200"), DevForeign("200")),

        // Packages, builds, tasks and logs.
        ["package.read"] = ((w, c, f) => Status(c.GetJsonAsync($"/v3/packages/{Of(w.Package, f)}")), SeeOwn, SeeForeign),
        ["package.list"] = ((w, c, f) => Status(c.GetJsonAsync($"/v3/apps/{App(w, f)}/packages")), SeeOwn, SeeForeign),
        ["package.create"] = ((w, c, f) => Status(c.PostJsonAsync("/v3/packages", new { type = "bits", relationships = new { app = World.Ref(App(w, f)) } })),
            CreateOwn("201"), CreateForeign("201")),
        ["package.upload"] = (async (w, c, f) =>
            {
                var package = await w.Create("/v3/packages", new { type = "bits", relationships = new { app = World.Ref(App(w, f)) } });
                using var response = await c.PostAsync($"/v3/packages/{package}/upload", SmallZip());
                return ((int)response.StatusCode).ToString();
            },
            DevOwn("200"), DevForeign("200")),
        ["build.read"] = ((w, c, f) => Status(c.GetJsonAsync($"/v3/builds/{Of(w.Build, f)}")), SeeOwn, SeeForeign),
        ["build.list"] = ((w, c, f) => Status(c.GetJsonAsync($"/v3/apps/{App(w, f)}/builds")), SeeOwn, SeeForeign),
        ["build.log"] = (async (w, c, f) =>
            {
                using var response = await c.GetAsync($"/v3/builds/{Of(w.Build, f)}/log");
                return ((int)response.StatusCode).ToString();
            },
            SeeOwn, SeeForeign),
        // The package awaits its bits, so those allowed get as far as that 422; the others are stopped before.
        ["build.create"] = ((w, c, f) => Status(c.PostJsonAsync("/v3/builds", new { package = new { guid = Of(w.Package, f) } })), CreateOwn("422"), CreateForeign("422")),
        ["task.read"] = ((w, c, f) => Status(c.GetJsonAsync($"/v3/tasks/{Of(w.Task, f)}")), SeeOwn, SeeForeign),
        ["task.list"] = ((w, c, f) => Status(c.GetJsonAsync($"/v3/apps/{App(w, f)}/tasks")), SeeOwn, SeeForeign),
        ["task.create"] = ((w, c, f) => Status(c.PostJsonAsync($"/v3/apps/{App(w, f)}/tasks", new { command = "true" })), DevOwn("201"), DevForeign("201")),
        ["task.cancel"] = (async (w, c, f) =>
            {
                var task = await w.Create($"/v3/apps/{App(w, f)}/tasks", new { command = "sleep 1" });
                return await Status(c.PostJsonAsync($"/v3/tasks/{task}/actions/cancel", new { }));
            },
            DevOwn("200"), DevForeign("200")),
        ["app.logs"] = (async (w, c, f) =>
            {
                using var response = await c.GetAsync($"/v3/apps/{App(w, f)}/logs?recent=true");
                return ((int)response.StatusCode).ToString();
            },
            SeeOwn, SeeForeign),
        ["app.env"] = ((w, c, f) => Status(c.GetJsonAsync($"/v3/apps/{App(w, f)}/env")), DevOwn("200"), DevForeign("200")),
        ["app.start"] = (async (w, c, f) =>
            {
                var status = await Status(c.PostJsonAsync($"/v3/apps/{App(w, f)}/actions/start", new { }));
                // Stopped again at once: a started app's stats would ask a node this test has not got.
                (await w.Admin.PostJsonAsync($"/v3/apps/{App(w, f)}/actions/stop", new { })).Expect(HttpStatusCode.OK);
                return status;
            },
            DevOwn("200"), DevForeign("200")),

        // Service instances, app bindings and keys: everyone in the space sees them; credentials are for developers.
        ["instance.list"] = ((w, c, f) => Some(c.GetJsonAsync($"/v3/service_instances?space_guids={Space(w, f)}")),
            ["some", "some", "some", "none", "some", "some", "some", "none"], ["some", "none", "none", "none", "none", "none", "none", "none"]),
        ["instance.read"] = ((w, c, f) => Status(c.GetJsonAsync($"/v3/service_instances/{Of(w.Ups, f)}")), SeeOwn, SeeForeign),
        ["instance.read_managed"] = ((w, c, f) => Status(c.GetJsonAsync($"/v3/service_instances/{Of(w.Managed, f)}")), SeeOwn, SeeForeign),
        ["instance.credentials"] = ((w, c, f) => Status(c.GetJsonAsync($"/v3/service_instances/{Of(w.Ups, f)}/credentials")), DevOwn("200"), DevForeign("200")),
        ["instance.parameters"] = ((w, c, f) => Status(c.GetJsonAsync($"/v3/service_instances/{Of(w.Managed, f)}/parameters")), DevOwn("200"), DevForeign("200")),
        ["instance.create"] = ((w, c, f) => Status(c.PostJsonAsync("/v3/service_instances", new { type = "user-provided", name = w.Unique("ups"), relationships = new { space = World.Ref(Space(w, f)) } })),
            CreateOwn("201"), CreateForeign("201")),
        ["instance.create_managed"] = ((w, c, f) => Status(c.PostJsonAsync("/v3/service_instances", new { type = "managed", name = w.Unique("db"), relationships = new { space = World.Ref(Space(w, f)), service_plan = World.Ref(w.PublicPlan) } })),
            CreateOwn("202"), CreateForeign("202")),
        ["instance.update"] = ((w, c, f) => Status(c.PatchJsonAsync($"/v3/service_instances/{Of(w.Ups, f)}", new { tags = new[] { "t" } })), DevOwn("200"), DevForeign("200")),
        ["instance.delete"] = (async (w, c, f) =>
            {
                var instance = await w.Create("/v3/service_instances", new { type = "user-provided", name = w.Unique("doomed"), relationships = new { space = World.Ref(Space(w, f)) } });
                return await Status(c.DeleteJsonAsync($"/v3/service_instances/{instance}"));
            },
            DevOwn("204"), DevForeign("204")),
        ["binding.list"] = ((w, c, f) => Some(c.GetJsonAsync($"/v3/service_credential_bindings?service_instance_guids={Of(w.Ups, f)}")),
            ["some", "some", "some", "none", "some", "some", "some", "none"], ["some", "none", "none", "none", "none", "none", "none", "none"]),
        ["binding.read"] = ((w, c, f) => Status(c.GetJsonAsync($"/v3/service_credential_bindings/{Of(w.AppBinding, f)}")), SeeOwn, SeeForeign),
        ["binding.details"] = ((w, c, f) => Status(c.GetJsonAsync($"/v3/service_credential_bindings/{Of(w.AppBinding, f)}/details")), DevOwn("200"), DevForeign("200")),
        ["binding.create"] = (async (w, c, f) =>
            {
                var app = await w.Create("/v3/apps", new { name = w.Unique("bindme"), relationships = new { space = World.Ref(Space(w, f)) } });
                return await Status(c.PostJsonAsync("/v3/service_credential_bindings", new { type = "app", relationships = new { service_instance = World.Ref(Of(w.Ups, f)), app = World.Ref(app) } }));
            },
            CreateOwn("201"), CreateForeign("201")),
        ["binding.delete"] = (async (w, c, f) =>
            {
                var app = await w.Create("/v3/apps", new { name = w.Unique("unbindme"), relationships = new { space = World.Ref(Space(w, f)) } });
                var binding = await w.Create("/v3/service_credential_bindings", new { type = "app", relationships = new { service_instance = World.Ref(Of(w.Ups, f)), app = World.Ref(app) } });
                return await Status(c.DeleteJsonAsync($"/v3/service_credential_bindings/{binding}"));
            },
            DevOwn("204"), DevForeign("204")),
        ["key.read"] = ((w, c, f) => Status(c.GetJsonAsync($"/v3/service_credential_bindings/{Of(w.Key, f)}")), SeeOwn, SeeForeign),
        ["key.details"] = ((w, c, f) => Status(c.GetJsonAsync($"/v3/service_credential_bindings/{Of(w.Key, f)}/details")), DevOwn("200"), DevForeign("200")),
        ["key.create"] = ((w, c, f) => Status(c.PostJsonAsync("/v3/service_credential_bindings", new { type = "key", name = w.Unique("key"), relationships = new { service_instance = World.Ref(Of(w.Ups, f)) } })),
            CreateOwn("201"), CreateForeign("201")),
        ["key.delete"] = (async (w, c, f) =>
            {
                var key = await w.Create("/v3/service_credential_bindings", new { type = "key", name = w.Unique("doomed"), relationships = new { service_instance = World.Ref(Of(w.Ups, f)) } });
                return await Status(c.DeleteJsonAsync($"/v3/service_credential_bindings/{key}"));
            },
            DevOwn("204"), DevForeign("204")),

        // Brokers: global ones are the admin's; a space-scoped one belongs to its space's developers, invisible to everyone else.
        ["broker.global.read"] = ((w, c, f) => Status(c.GetJsonAsync($"/v3/service_brokers/{w.GlobalBroker}")), SeeForeign, SeeForeign),
        ["broker.global.create"] = ((w, c, f) => Status(c.PostJsonAsync("/v3/service_brokers", ServicesFixture.BrokerBody(w.Unique("global"), w.Broker.Url))),
            ["201", "403", "403", "403", "403", "403", "403", "403"], ["201", "403", "403", "403", "403", "403", "403", "403"]),
        ["broker.global.update"] = ((w, c, f) => Status(c.PatchJsonAsync($"/v3/service_brokers/{w.GlobalBroker}", new { name = "matrix-broker" })), SeeForeign, SeeForeign),
        ["broker.space.read"] = ((w, c, f) => Status(c.GetJsonAsync($"/v3/service_brokers/{Of(w.SpaceBroker, f)}")),
            ["200", "404", "404", "404", "200", "404", "404", "404"], SeeForeign),
        ["broker.space.list"] = ((w, c, f) => Count(c.GetJsonAsync($"/v3/service_brokers?guids={Of(w.SpaceBroker, f)}")),
            ["n=1", "n=0", "n=0", "n=0", "n=1", "n=0", "n=0", "n=0"], ["n=1", "n=0", "n=0", "n=0", "n=0", "n=0", "n=0", "n=0"]),
        ["broker.space.create"] = ((w, c, f) => Status(c.PostJsonAsync("/v3/service_brokers", ServicesFixture.BrokerBody(w.Unique("scoped"), w.Broker.Url, space: Space(w, f)))),
            CreateOwn("201"), CreateForeign("201")),
        ["broker.space.update"] = (async (w, c, f) =>
            {
                var name = (await w.Admin.GetJsonAsync($"/v3/service_brokers/{Of(w.SpaceBroker, f)}")).Expect(HttpStatusCode.OK).GetProperty("name").GetString();
                return await Status(c.PatchJsonAsync($"/v3/service_brokers/{Of(w.SpaceBroker, f)}", new { name }));
            },
            ["200", "404", "404", "404", "200", "404", "404", "404"], SeeForeign),
        ["broker.space.delete"] = (async (w, c, f) =>
            {
                var broker = await w.Create("/v3/service_brokers", ServicesFixture.BrokerBody(w.Unique("doomed"), w.Broker.Url, space: Space(w, f)));
                return await Status(c.DeleteJsonAsync($"/v3/service_brokers/{broker}"));
            },
            ["204", "404", "404", "404", "204", "404", "404", "404"], ["204", "404", "404", "404", "404", "404", "404", "404"]),

        // Service access (plan visibility): admins only; a plan one cannot see is 404, one one can see 403.
        ["plan.visibility.read"] = ((w, c, f) => Status(c.GetJsonAsync($"/v3/service_plans/{w.PublicPlan}/visibility")),
            ["200", "403", "403", "403", "403", "403", "403", "403"], ["200", "403", "403", "403", "403", "403", "403", "403"]),
        ["plan.visibility.replace"] = ((w, c, f) => Status(c.PatchJsonAsync($"/v3/service_plans/{w.PublicPlan}/visibility", new { type = "public" })),
            ["200", "403", "403", "403", "403", "403", "403", "403"], ["200", "403", "403", "403", "403", "403", "403", "403"]),
        ["plan.visibility.add"] = (async (w, c, f) =>
            {
                (await w.Admin.PatchJsonAsync($"/v3/service_plans/{w.AdminPlan}/visibility", new { type = "admin" })).Expect(HttpStatusCode.OK);
                return await Status(c.PostJsonAsync($"/v3/service_plans/{w.AdminPlan}/visibility", new { type = "organization", organizations = new[] { new { guid = Org(w, f) } } }));
            },
            ["200", "404", "404", "404", "404", "404", "404", "404"], ["200", "404", "404", "404", "404", "404", "404", "404"]),
        ["plan.visibility.remove"] = (async (w, c, f) =>
            {
                (await w.Admin.PatchJsonAsync($"/v3/service_plans/{w.AdminPlan}/visibility", new { type = "organization", organizations = new[] { new { guid = Org(w, f) } } })).Expect(HttpStatusCode.OK);
                var status = await Status(c.DeleteJsonAsync($"/v3/service_plans/{w.AdminPlan}/visibility/{Org(w, f)}"));
                (await w.Admin.PatchJsonAsync($"/v3/service_plans/{w.AdminPlan}/visibility", new { type = "admin" })).Expect(HttpStatusCode.OK);
                return status;
            },
            ["204", "403", "403", "403", "403", "403", "403", "404"], ["204", "404", "404", "404", "404", "404", "404", "404"]),
    };

    public static TheoryData<string, string, string> Cases()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var operation in Matrix.Keys)
        {
            foreach (var role in Roles)
            {
                data.Add(operation, role, "own");
                data.Add(operation, role, "foreign");
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Role_sees_and_does_exactly_what_it_may(string operation, string role, string tenant)
    {
        var (run, own, foreign) = Matrix[operation];
        var index = Array.IndexOf(Roles, role);
        var expected = tenant == "own" ? own[index] : foreign[index];
        var actual = await run(world, world.Clients[role], tenant == "foreign");
        Assert.True(expected == actual, $"{role} on {operation} ({tenant} tenant): expected {expected}, got {actual}");
    }

    [Fact]
    public async Task Env_var_values_never_reach_those_who_may_not_read_them()
    {
        foreach (var role in new[] { "org_manager", "org_auditor", "space_manager", "space_auditor" })
        {
            var (_, body) = await world.Clients[role].GetJsonAsync($"/v3/apps/{world.AppA}/environment_variables");
            Assert.DoesNotContain("a-secret", body.GetRawText(), StringComparison.Ordinal);
            var (_, events) = await world.Clients[role].GetJsonAsync("/v3/audit_events?per_page=5000");
            Assert.DoesNotContain("a-secret", events.GetRawText(), StringComparison.Ordinal);
        }
        var own = (await world.Clients["space_developer"].GetJsonAsync($"/v3/apps/{world.AppA}/environment_variables")).Expect(HttpStatusCode.OK);
        Assert.Equal("a-secret", own.GetProperty("var").GetProperty("SECRET").GetString());
    }
}
