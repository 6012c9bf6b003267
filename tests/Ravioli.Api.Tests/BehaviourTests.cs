using System.Net;
using System.Text.Json;
using Ravioli.Testing;
using Xunit;

namespace Ravioli.Api.Tests;

public sealed class BehaviourTests(RavioliServerFixture server) : IClassFixture<RavioliServerFixture>
{
    private static object Ref(string guid) => new { data = new { guid } };

    private async Task<(HttpClient Admin, string Org, string Space)> OrgAndSpaceAsync()
    {
        var admin = await server.AdminClientAsync();
        var org = (await admin.PostJsonAsync("/v3/organizations", new { name = "o-" + Guid.NewGuid().ToString("N")[..8] })).Expect(HttpStatusCode.Created).Guid();
        var space = (await admin.PostJsonAsync("/v3/spaces", new { name = "s", relationships = new { organization = Ref(org) } })).Expect(HttpStatusCode.Created).Guid();
        return (admin, org, space);
    }

    [Fact]
    public async Task Concurrent_creates_of_one_name_give_one_201_and_the_rest_422()
    {
        using var admin = await server.AdminClientAsync();
        var name = "race-" + Guid.NewGuid().ToString("N")[..8];
        var results = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => admin.PostJsonAsync("/v3/organizations", new { name })));
        Assert.Equal(1, results.Count(r => r.Status == HttpStatusCode.Created));
        Assert.All(results.Where(r => r.Status != HttpStatusCode.Created), r =>
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, r.Status);
            Assert.Contains("already exists", r.Body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        });
        var listed = (await admin.GetJsonAsync($"/v3/organizations?names={name}")).Expect(HttpStatusCode.OK);
        Assert.Equal(1, listed.GetProperty("pagination").GetProperty("total_results").GetInt32());
    }

    [Fact]
    public async Task Concurrent_updates_of_one_resource_never_fail_with_a_5xx()
    {
        var (admin, _, space) = await OrgAndSpaceAsync();
        using var adminClient = admin;
        var app = (await admin.PostJsonAsync("/v3/apps", new { name = "busy", relationships = new { space = Ref(space) } })).Expect(HttpStatusCode.Created).Guid();
        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(i =>
            admin.PatchJsonAsync($"/v3/apps/{app}/environment_variables", new { var = new Dictionary<string, string> { [$"K{i}"] = "v" } })));
        Assert.All(results, r => Assert.True(r.Status is HttpStatusCode.OK or HttpStatusCode.Conflict, $"{(int)r.Status} {r.Body}"));
        var env = (await admin.GetJsonAsync($"/v3/apps/{app}/environment_variables")).Expect(HttpStatusCode.OK).GetProperty("var");
        // Every update that was answered 200 is in the final state: none was silently lost.
        var succeeded = results.Select((r, i) => (r, i)).Where(x => x.r.Status == HttpStatusCode.OK).Select(x => $"K{x.i}").ToList();
        Assert.All(succeeded, key => Assert.True(env.TryGetProperty(key, out _), $"{key} was acknowledged but lost: {env}"));
    }

    [Fact]
    public async Task Every_write_leaves_an_audit_event_naming_actor_and_target()
    {
        var (admin, org, space) = await OrgAndSpaceAsync();
        using var adminClient = admin;
        var app = (await admin.PostJsonAsync("/v3/apps", new { name = "audited", relationships = new { space = Ref(space) } })).Expect(HttpStatusCode.Created).Guid();
        (await admin.PatchJsonAsync($"/v3/apps/{app}", new { name = "audited-2" })).Expect(HttpStatusCode.OK);
        (await admin.PatchJsonAsync($"/v3/apps/{app}/environment_variables", new { var = new Dictionary<string, string> { ["TOKEN"] = "hunter2-value" } })).Expect(HttpStatusCode.OK);
        (await admin.DeleteJsonAsync($"/v3/apps/{app}")).Expect(HttpStatusCode.NoContent);
        var events = (await admin.GetJsonAsync($"/v3/audit_events?target_guids={app}")).Expect(HttpStatusCode.OK).GetProperty("resources");
        Assert.Equal("audit.app.create,audit.app.update,audit.app.update,audit.app.delete-request",
            string.Join(",", events.EnumerateArray().Select(e => e.GetProperty("type").GetString())));
        Assert.All(events.EnumerateArray(), e =>
        {
            Assert.Equal("admin", e.GetProperty("actor").GetProperty("name").GetString());
            Assert.Equal("app", e.GetProperty("target").GetProperty("type").GetString());
            Assert.Equal(space, e.GetProperty("space").Guid());
            Assert.Equal(org, e.GetProperty("organization").Guid());
        });
        Assert.DoesNotContain("hunter2-value", events.GetRawText(), StringComparison.Ordinal);
        Assert.Contains("TOKEN", events[2].GetProperty("data").GetRawText(), StringComparison.Ordinal);

        var orgEvents = (await admin.GetJsonAsync($"/v3/audit_events?organization_guids={org}&types=audit.organization.create,audit.space.create")).Expect(HttpStatusCode.OK);
        Assert.Equal(2, orgEvents.GetProperty("pagination").GetProperty("total_results").GetInt32());
    }

    [Fact]
    public async Task Passwords_never_appear_in_events_or_responses()
    {
        using var admin = await server.AdminClientAsync();
        var user = (await admin.PostJsonAsync("/v3/users", new { username = "pw-" + Guid.NewGuid().ToString("N")[..8], password = "very-secret-pass" })).Expect(HttpStatusCode.Created);
        Assert.DoesNotContain("very-secret-pass", user.GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain("password", user.GetRawText(), StringComparison.Ordinal);
        (await admin.PatchJsonAsync($"/v3/users/{user.Guid()}", new { password = "another-secret" })).Expect(HttpStatusCode.OK);
        var events = (await admin.GetJsonAsync($"/v3/audit_events?target_guids={user.Guid()}")).Expect(HttpStatusCode.OK).GetRawText();
        Assert.DoesNotContain("very-secret-pass", events, StringComparison.Ordinal);
        Assert.DoesNotContain("another-secret", events, StringComparison.Ordinal);
        Assert.Contains("password_changed", events, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Lists_page_and_order_with_cf_links()
    {
        var (admin, org, _) = await OrgAndSpaceAsync();
        using var adminClient = admin;
        foreach (var name in new[] { "delta", "alpha", "charlie", "bravo" })
        {
            (await admin.PostJsonAsync("/v3/spaces", new { name, relationships = new { organization = Ref(org) } })).Expect(HttpStatusCode.Created);
        }
        var first = (await admin.GetJsonAsync($"/v3/spaces?organization_guids={org}&order_by=name&per_page=2")).Expect(HttpStatusCode.OK);
        var pagination = first.GetProperty("pagination");
        Assert.Equal((5, 3, 1, 2), (pagination.GetProperty("total_results").GetInt32(), pagination.GetProperty("total_pages").GetInt32(),
            pagination.GetProperty("page").GetInt32(), pagination.GetProperty("per_page").GetInt32()));
        Assert.Equal(JsonValueKind.Null, pagination.GetProperty("previous").ValueKind);
        Assert.Equal("alpha,bravo", string.Join(",", first.GetProperty("resources").EnumerateArray().Select(r => r.GetProperty("name").GetString())));

        var next = new Uri(pagination.GetProperty("next").GetProperty("href").GetString()!);
        var second = (await admin.GetJsonAsync(next.PathAndQuery)).Expect(HttpStatusCode.OK);
        Assert.Equal("charlie,delta", string.Join(",", second.GetProperty("resources").EnumerateArray().Select(r => r.GetProperty("name").GetString())));

        var descending = (await admin.GetJsonAsync($"/v3/spaces?organization_guids={org}&order_by=-name&per_page=1")).Expect(HttpStatusCode.OK);
        Assert.Equal("s", descending.GetProperty("resources")[0].GetProperty("name").GetString());
        var past = (await admin.GetJsonAsync($"/v3/spaces?organization_guids={org}&page=9")).Expect(HttpStatusCode.OK);
        Assert.Equal(0, past.GetProperty("resources").GetArrayLength());
    }

    [Fact]
    public async Task App_count_quota_refuses_the_app_over_the_limit()
    {
        var (admin, org, space) = await OrgAndSpaceAsync();
        using var adminClient = admin;
        var quota = (await admin.PostJsonAsync("/v3/organization_quotas", new { name = "two-apps-" + org[..8], apps = new { total_apps = 2 } })).Expect(HttpStatusCode.Created).Guid();
        (await admin.PostJsonAsync($"/v3/organization_quotas/{quota}/relationships/organizations", new { data = new[] { new { guid = org } } })).Expect(HttpStatusCode.OK);
        (await admin.PostJsonAsync("/v3/apps", new { name = "one", relationships = new { space = Ref(space) } })).Expect(HttpStatusCode.Created);
        (await admin.PostJsonAsync("/v3/apps", new { name = "two", relationships = new { space = Ref(space) } })).Expect(HttpStatusCode.Created);
        var over = (await admin.PostJsonAsync("/v3/apps", new { name = "three", relationships = new { space = Ref(space) } })).Expect(HttpStatusCode.UnprocessableEntity);
        Assert.Contains("quota", over.GetProperty("detail").GetString(), StringComparison.Ordinal);

        (await admin.PatchJsonAsync($"/v3/organization_quotas/{quota}", new { apps = new { total_apps = (int?)null } })).Expect(HttpStatusCode.OK);
        (await admin.PostJsonAsync("/v3/apps", new { name = "three", relationships = new { space = Ref(space) } })).Expect(HttpStatusCode.Created);
        var refused = (await admin.DeleteJsonAsync($"/v3/organization_quotas/{quota}")).Expect(HttpStatusCode.UnprocessableEntity);
        Assert.Contains("still applied", refused.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Quota_patch_changes_only_what_was_sent()
    {
        using var admin = await server.AdminClientAsync();
        var quota = (await admin.PostJsonAsync("/v3/organization_quotas", new { name = "patchy", apps = new { total_memory_in_mb = 1024, total_instances = 4 } })).Expect(HttpStatusCode.Created).Guid();
        var patched = (await admin.PatchJsonAsync($"/v3/organization_quotas/{quota}", new { apps = new { total_instances = 8 } })).Expect(HttpStatusCode.OK);
        Assert.Equal(1024, patched.GetProperty("apps").GetProperty("total_memory_in_mb").GetInt32());
        Assert.Equal(8, patched.GetProperty("apps").GetProperty("total_instances").GetInt32());
    }

    [Fact]
    public async Task Space_roles_need_org_membership_and_membership_cannot_be_pulled_from_under_them()
    {
        var (admin, org, space) = await OrgAndSpaceAsync();
        using var adminClient = admin;
        var user = (await admin.PostJsonAsync("/v3/users", new { username = "member-" + org[..8], password = "long-enough" })).Expect(HttpStatusCode.Created).Guid();
        var early = (await admin.PostJsonAsync("/v3/roles", new { type = "space_developer", relationships = new { user = Ref(user), space = Ref(space) } })).Expect(HttpStatusCode.UnprocessableEntity);
        Assert.Contains("organization_user", early.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var membership = (await admin.PostJsonAsync("/v3/roles", new { type = "organization_user", relationships = new { user = Ref(user), organization = Ref(org) } })).Expect(HttpStatusCode.Created).Guid();
        var developer = (await admin.PostJsonAsync("/v3/roles", new { type = "space_developer", relationships = new { user = new { data = new { username = "MEMBER-" + org[..8] } }, space = Ref(space) } })).Expect(HttpStatusCode.Created).Guid();
        (await admin.DeleteJsonAsync($"/v3/roles/{membership}")).Expect(HttpStatusCode.UnprocessableEntity);
        (await admin.DeleteJsonAsync($"/v3/roles/{developer}")).Expect(HttpStatusCode.NoContent);
        (await admin.DeleteJsonAsync($"/v3/roles/{membership}")).Expect(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task Org_manager_role_brings_membership_and_includes_users_on_request()
    {
        var (admin, org, _) = await OrgAndSpaceAsync();
        using var adminClient = admin;
        var user = (await admin.PostJsonAsync("/v3/users", new { username = "boss-" + org[..8], password = "long-enough" })).Expect(HttpStatusCode.Created).Guid();
        (await admin.PostJsonAsync("/v3/roles", new { type = "organization_manager", relationships = new { user = Ref(user), organization = Ref(org) } })).Expect(HttpStatusCode.Created);
        var roles = (await admin.GetJsonAsync($"/v3/roles?organization_guids={org}&include=user&order_by=created_at")).Expect(HttpStatusCode.OK);
        var types = string.Join(",", roles.GetProperty("resources").EnumerateArray().Select(r => r.GetProperty("type").GetString()).Order());
        Assert.Equal("organization_manager,organization_user", types);
        Assert.Equal("boss-" + org[..8], roles.GetProperty("included").GetProperty("users")[0].GetProperty("username").GetString());
    }

    [Fact]
    public async Task Users_change_their_own_password_only_with_the_current_one_and_old_sessions_end()
    {
        using var admin = await server.AdminClientAsync();
        var name = "self-" + Guid.NewGuid().ToString("N")[..8];
        var guid = (await admin.PostJsonAsync("/v3/users", new { username = name, password = "first-password" })).Expect(HttpStatusCode.Created).Guid();
        var tokens = await server.TokensAsync(name, "first-password");
        using var self = await server.LoginAsync(name, "first-password");
        (await self.PatchJsonAsync($"/v3/users/{guid}", new { password = "second-password" })).Expect(HttpStatusCode.UnprocessableEntity);
        (await self.PatchJsonAsync($"/v3/users/{guid}", new { admin = true })).Expect(HttpStatusCode.Forbidden);
        (await self.PatchJsonAsync($"/v3/users/{guid}", new { password = "second-password", current_password = "first-password" })).Expect(HttpStatusCode.OK);
        await Assert.ThrowsAsync<InvalidOperationException>(() => server.TokensAsync(name, "first-password"));
        await server.TokensAsync(name, "second-password");
        using var anonymous = server.Anonymous();
        using var refresh = await anonymous.PostAsync("/oauth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["refresh_token"] = tokens.GetProperty("refresh_token").GetString()!,
        }));
        Assert.Equal(HttpStatusCode.Unauthorized, refresh.StatusCode);
    }

    [Fact]
    public async Task The_last_admin_cannot_be_removed()
    {
        using var admin = await server.AdminClientAsync();
        var adminGuid = (await admin.GetJsonAsync("/v3/users?usernames=admin")).Expect(HttpStatusCode.OK).GetProperty("resources")[0].Guid();
        var others = (await admin.GetJsonAsync("/v3/users?per_page=5000")).Expect(HttpStatusCode.OK).GetProperty("resources").EnumerateArray()
            .Where(u => u.GetProperty("admin").GetBoolean() && u.Guid() != adminGuid).ToList();
        Assert.Empty(others);
        (await admin.DeleteJsonAsync($"/v3/users/{adminGuid}")).Expect(HttpStatusCode.UnprocessableEntity);
        (await admin.PatchJsonAsync($"/v3/users/{adminGuid}", new { admin = false })).Expect(HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task Deleting_an_org_removes_its_spaces_apps_and_roles()
    {
        var (admin, org, space) = await OrgAndSpaceAsync();
        using var adminClient = admin;
        var app = (await admin.PostJsonAsync("/v3/apps", new { name = "gone", relationships = new { space = Ref(space) } })).Expect(HttpStatusCode.Created).Guid();
        var user = (await admin.PostJsonAsync("/v3/users", new { username = "stay-" + org[..8], password = "long-enough" })).Expect(HttpStatusCode.Created).Guid();
        (await admin.PostJsonAsync("/v3/roles", new { type = "organization_auditor", relationships = new { user = Ref(user), organization = Ref(org) } })).Expect(HttpStatusCode.Created);
        (await admin.DeleteJsonAsync($"/v3/organizations/{org}")).Expect(HttpStatusCode.NoContent);
        (await admin.GetJsonAsync($"/v3/spaces/{space}")).Expect(HttpStatusCode.NotFound);
        (await admin.GetJsonAsync($"/v3/apps/{app}")).Expect(HttpStatusCode.NotFound);
        Assert.Equal(0, (await admin.GetJsonAsync($"/v3/roles?user_guids={user}")).Expect(HttpStatusCode.OK).GetProperty("pagination").GetProperty("total_results").GetInt32());
        (await admin.GetJsonAsync($"/v3/users/{user}")).Expect(HttpStatusCode.OK);
    }
}
