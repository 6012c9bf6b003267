using System.Net;
using System.Text.Json;
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
        private int _counter;

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
