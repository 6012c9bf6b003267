using Microsoft.EntityFrameworkCore;
using Ravioli.Store.Entities;
using Xunit;

namespace Ravioli.Store.Tests;

public sealed class MigrationTests
{
    private const string Initial = "20261121000001_Initial";

    [Fact]
    public async Task An_initial_schema_upgrades_to_the_latest_with_its_data_intact()
    {
        await using var scratch = await ScratchDatabase.CreateAsync();
        var now = DateTime.UtcNow;
        await using (var db = scratch.Open())
        {
            await StoreSetup.MigrateAsync(db, Initial);
            // Rows as the first release wrote them: no username_key column existed yet.
            await db.Database.ExecuteSqlAsync($"INSERT INTO organization_quotas (guid, created_at, updated_at, version, name) VALUES ('q1', {now}, {now}, 'v', 'default')");
            await db.Database.ExecuteSqlAsync($"INSERT INTO organizations (guid, created_at, updated_at, version, name, suspended, quota_guid) VALUES ('o1', {now}, {now}, 'v', 'acme', {false}, 'q1')");
            await db.Database.ExecuteSqlAsync($"INSERT INTO spaces (guid, created_at, updated_at, version, name, organization_guid) VALUES ('s1', {now}, {now}, 'v', 'dev', 'o1')");
            await db.Database.ExecuteSqlAsync($"INSERT INTO users (guid, created_at, updated_at, version, username, password_hash, admin) VALUES ('u1', {now}, {now}, 'v', 'Alice.Smith', 'hash', {true})");
            await db.Database.ExecuteSqlAsync($"INSERT INTO roles (guid, created_at, updated_at, version, type, user_guid, organization_guid, space_guid, scope_guid) VALUES ('r1', {now}, {now}, 'v', 'space_developer', 'u1', 'o1', 's1', 's1')");
            Assert.Contains(Initial, await db.Database.GetAppliedMigrationsAsync());
            Assert.NotEmpty(await db.Database.GetPendingMigrationsAsync());
        }

        await using (var db = scratch.Open())
        {
            await StoreSetup.MigrateAsync(db);
            Assert.Empty(await db.Database.GetPendingMigrationsAsync());
            var user = await db.Users.SingleAsync();
            Assert.Equal("Alice.Smith", user.Username);
            Assert.Equal("alice.smith", user.UsernameKey);
            Assert.True(user.Admin);
            Assert.Equal(DateTimeKind.Utc, user.CreatedAt.Kind);
            Assert.True(Math.Abs((user.CreatedAt - now).TotalMilliseconds) < 1, $"{user.CreatedAt:O} vs {now:O}");
            var role = await db.Roles.SingleAsync();
            Assert.Equal(("space_developer", "o1", "s1"), (role.Type, role.OrganizationGuid, role.SpaceGuid));
            var space = await db.Spaces.Include(s => s.Organization).ThenInclude(o => o!.Quota).SingleAsync();
            Assert.Equal(("dev", "acme", "default"), (space.Name, space.Organization!.Name, space.Organization.Quota!.Name));

            // The new table works, and the new unique key now treats case-variants as one user.
            db.Apps.Add(new AppEntity { Name = "web", SpaceGuid = "s1", State = "STOPPED", EnvironmentVariables = "" });
            await db.SaveChangesAsync();
            db.Processes.Add(new ProcessEntity { AppGuid = (await db.Apps.SingleAsync()).Guid, Type = "web", Instances = 2, MemoryMb = 128, DiskMb = 512 });
            await db.SaveChangesAsync();
            db.Users.Add(new UserEntity { Username = "ALICE.SMITH", UsernameKey = "alice.smith", PasswordHash = "x" });
            var duplicate = await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
            Assert.True(StoreSetup.IsUniqueViolation(duplicate));
        }
    }

    [Fact]
    public async Task Apps_from_before_the_lifecycle_migration_get_a_web_process_sharing_their_guid()
    {
        await using var scratch = await ScratchDatabase.CreateAsync();
        var now = DateTime.UtcNow;
        await using (var db = scratch.Open())
        {
            await StoreSetup.MigrateAsync(db, "20261121000002_AppsAndCaseInsensitiveUsernames");
            await db.Database.ExecuteSqlAsync($"INSERT INTO organizations (guid, created_at, updated_at, version, name, suspended) VALUES ('o1', {now}, {now}, 'v', 'acme', {false})");
            await db.Database.ExecuteSqlAsync($"INSERT INTO spaces (guid, created_at, updated_at, version, name, organization_guid) VALUES ('s1', {now}, {now}, 'v', 'dev', 'o1')");
            await db.Database.ExecuteSqlAsync($"INSERT INTO apps (guid, created_at, updated_at, version, name, space_guid, state, lifecycle_type, buildpacks, environment_variables) VALUES ('a1', {now}, {now}, 'v', 'web', 's1', 'STOPPED', 'buildpack', '[]', '')");
        }
        await using (var db = scratch.Open())
        {
            await StoreSetup.MigrateAsync(db);
            var process = await db.Processes.SingleAsync();
            Assert.Equal(("a1", "a1", "web", 1, 256, 1024, "port"), (process.Guid, process.AppGuid, process.Type, process.Instances, process.MemoryMb, process.DiskMb, process.HealthCheckType));
            Assert.Null((await db.Apps.SingleAsync()).CurrentDropletGuid);
        }
    }

    [Fact]
    public async Task Migrating_twice_is_a_no_op()
    {
        await using var scratch = await ScratchDatabase.CreateAsync();
        await using var db = scratch.Open();
        await StoreSetup.MigrateAsync(db);
        var applied = (await db.Database.GetAppliedMigrationsAsync()).ToList();
        await StoreSetup.MigrateAsync(db);
        Assert.Equal(applied, await db.Database.GetAppliedMigrationsAsync());
        Assert.Equal(db.Database.GetMigrations().Count(), applied.Count);
        Assert.Equal(6, applied.Count);
    }

    [Fact]
    public async Task Every_entity_round_trips_through_the_migrated_schema()
    {
        await using var scratch = await ScratchDatabase.CreateAsync();
        await using (var db = scratch.Open())
        {
            await StoreSetup.MigrateAsync(db);
            var quota = new OrganizationQuotaEntity { Name = "q", TotalMemoryInMb = 1024, PerProcessMemoryInMb = 256, TotalInstances = 4, TotalApps = 2, TotalRoutes = 3, TotalServiceInstances = 5 };
            var org = new OrganizationEntity { Name = "o", Quota = quota };
            var space = new SpaceEntity { Name = "s", Organization = org };
            var user = new UserEntity { Username = "u", UsernameKey = "u", PasswordHash = "h", Admin = true };
            db.AddRange(quota, org, space, user);
            db.Roles.Add(new RoleEntity { Type = "space_developer", UserGuid = user.Guid, OrganizationGuid = org.Guid, SpaceGuid = space.Guid, ScopeGuid = space.Guid });
            db.Apps.Add(new AppEntity { Name = "a", Space = space, State = "STOPPED", Buildpacks = "[\"x\"]", Stack = "st", EnvironmentVariables = "v1:abc" });
            db.AuditEvents.Add(new AuditEventEntity { Type = "t", ActorGuid = user.Guid, ActorType = "user", ActorName = "u", TargetGuid = org.Guid, TargetType = "organization", TargetName = "o", OrganizationGuid = org.Guid, Data = "{\"k\":1}" });
            db.RefreshTokens.Add(new RefreshTokenEntity { UserGuid = user.Guid, TokenHash = "th", CreatedAt = DateTime.UtcNow, ExpiresAt = DateTime.UtcNow.AddDays(1) });
            await db.SaveChangesAsync();
            var app = await db.Apps.SingleAsync();
            var domain = new DomainEntity { Name = "apps.example" };
            var route = new RouteEntity { Host = "h", Path = "/p", Domain = domain, SpaceGuid = space.Guid };
            db.AddRange(domain, route);
            db.Packages.Add(new PackageEntity { AppGuid = app.Guid, State = "READY", BlobKey = "k", SizeBytes = 42 });
            db.Builds.Add(new BuildEntity { AppGuid = app.Guid, PackageGuid = "p", State = "STAGED", Buildpacks = "[]", CreatedByGuid = user.Guid, CreatedByName = "u" });
            db.Droplets.Add(new DropletEntity { AppGuid = app.Guid, State = "STAGED", BlobKey = "d", Buildpack = "nodejs_buildpack", ProcessTypes = "{\"web\":\"npm start\"}" });
            db.Processes.Add(new ProcessEntity { AppGuid = app.Guid, Type = "web", Instances = 3, MemoryMb = 64, DiskMb = 128, HealthCheckType = "http", HealthCheckEndpoint = "/health", HealthCheckTimeoutSeconds = 60, HealthCheckInvocationTimeoutSeconds = 2 });
            db.RouteMappings.Add(new RouteMappingEntity { RouteGuid = route.Guid, AppGuid = app.Guid, ProcessType = "web" });
            db.Buildpacks.Add(new BuildpackEntity { Name = "custom", Position = 1, BlobKey = "b", Filename = "custom.zip" });
            var broker = new ServiceBrokerEntity { Name = "b", Url = "http://broker", Username = "u", Password = "sealed" };
            var offering = new ServiceOfferingEntity { Name = "pg", Broker = broker, CatalogId = "svc", Description = "d", Tags = "[\"sql\"]", Bindable = true, Metadata = "{\"a\":1}" };
            var plan = new ServicePlanEntity { Name = "small", Offering = offering, CatalogId = "plan", Description = "d", MaximumPollingDuration = 60, VisibilityType = "organization", Bindable = null };
            var instance = new ServiceInstanceEntity { Name = "db", Space = space, Plan = plan, Tags = "[]", LastOperationState = "in progress", BrokerOperation = "op-1", OrphanMitigation = true };
            db.AddRange(broker, offering, plan, instance);
            db.ServicePlanVisibilities.Add(new ServicePlanVisibilityEntity { PlanGuid = plan.Guid, OrganizationGuid = org.Guid });
            db.ServiceBindings.Add(new ServiceBindingEntity { Name = "k", Type = "key", Instance = instance, UniqueName = "k", Credentials = "sealed-creds", LastOperationType = "delete" });
            await db.SaveChangesAsync();
        }
        await using (var db = scratch.Open())
        {
            var quota = await db.OrganizationQuotas.SingleAsync();
            Assert.Equal((1024, 256, 4, 2, 3, 5), (quota.TotalMemoryInMb, quota.PerProcessMemoryInMb, quota.TotalInstances, quota.TotalApps, quota.TotalRoutes, quota.TotalServiceInstances));
            var app = await db.Apps.Include(a => a.Space).SingleAsync();
            Assert.Equal(("a", "[\"x\"]", "st", "v1:abc", "s"), (app.Name, app.Buildpacks, app.Stack, app.EnvironmentVariables, app.Space!.Name));
            Assert.Equal("{\"k\":1}", (await db.AuditEvents.SingleAsync()).Data);
            Assert.Null((await db.RefreshTokens.SingleAsync()).RevokedAt);
            Assert.Single(await db.Roles.ToListAsync());
            var process = await db.Processes.SingleAsync();
            Assert.Equal(("http", "/health", 60, 2, 3), (process.HealthCheckType, process.HealthCheckEndpoint, process.HealthCheckTimeoutSeconds, process.HealthCheckInvocationTimeoutSeconds, process.Instances));
            var route = await db.Routes.Include(r => r.Domain).SingleAsync();
            Assert.Equal(("h", "/p", "apps.example"), (route.Host, route.Path, route.Domain!.Name));
            Assert.Equal("{\"web\":\"npm start\"}", (await db.Droplets.SingleAsync()).ProcessTypes);
            Assert.Equal((42L, "k"), ((await db.Packages.SingleAsync()).SizeBytes, (await db.Packages.SingleAsync()).BlobKey));
            Assert.Equal("STAGED", (await db.Builds.SingleAsync()).State);
            Assert.Equal("web", (await db.RouteMappings.SingleAsync()).ProcessType);
            Assert.Equal(("custom", 1, true), ((await db.Buildpacks.SingleAsync()).Name, (await db.Buildpacks.SingleAsync()).Position, (await db.Buildpacks.SingleAsync()).Enabled));
            var plan = await db.ServicePlans.Include(p => p.Offering!).ThenInclude(o => o.Broker).SingleAsync();
            Assert.Equal(("small", 60, "organization", (bool?)null, "pg", "[\"sql\"]", "b"),
                (plan.Name, plan.MaximumPollingDuration, plan.VisibilityType, plan.Bindable, plan.Offering!.Name, plan.Offering.Tags, plan.Offering.Broker!.Name));
            Assert.Equal((await db.Organizations.SingleAsync()).Guid, (await db.ServicePlanVisibilities.SingleAsync()).OrganizationGuid);
            var instance = await db.ServiceInstances.SingleAsync();
            Assert.Equal(("db", "in progress", "op-1", true, plan.Guid), (instance.Name, instance.LastOperationState, instance.BrokerOperation, instance.OrphanMitigation, instance.PlanGuid));
            var binding = await db.ServiceBindings.SingleAsync();
            Assert.Equal(("k", "key", "sealed-creds", "delete", instance.Guid), (binding.Name, binding.Type, binding.Credentials, binding.LastOperationType, binding.InstanceGuid));
        }
    }

    [Fact]
    public async Task Deleting_an_organization_cascades_to_its_spaces_apps_and_roles()
    {
        await using var scratch = await ScratchDatabase.CreateAsync();
        await using var db = scratch.Open();
        await StoreSetup.MigrateAsync(db);
        var org = new OrganizationEntity { Name = "o" };
        var space = new SpaceEntity { Name = "s", Organization = org };
        var user = new UserEntity { Username = "u", UsernameKey = "u", PasswordHash = "h" };
        db.AddRange(org, space, user, new AppEntity { Name = "a", Space = space, State = "STOPPED" });
        db.Roles.Add(new RoleEntity { Type = "space_developer", UserGuid = user.Guid, OrganizationGuid = org.Guid, SpaceGuid = space.Guid, ScopeGuid = space.Guid });
        await db.SaveChangesAsync();
        await db.Organizations.Where(o => o.Guid == org.Guid).ExecuteDeleteAsync();
        Assert.Equal((0, 0, 0, 1), (await db.Spaces.CountAsync(), await db.Apps.CountAsync(), await db.Roles.CountAsync(), await db.Users.CountAsync()));
    }

    [Fact]
    public async Task A_stale_copy_cannot_overwrite_a_newer_update()
    {
        await using var scratch = await ScratchDatabase.CreateAsync();
        string guid;
        await using (var db = scratch.Open())
        {
            await StoreSetup.MigrateAsync(db);
            var org = new OrganizationEntity { Name = "original" };
            db.Organizations.Add(org);
            await db.SaveChangesAsync();
            guid = org.Guid;
        }
        await using var first = scratch.Open();
        await using var second = scratch.Open();
        var a = await first.Organizations.SingleAsync(o => o.Guid == guid);
        var b = await second.Organizations.SingleAsync(o => o.Guid == guid);
        a.Name = "first";
        await first.SaveChangesAsync();
        b.Name = "second";
        await Assert.ThrowsAsync<DbUpdateConcurrencyException>(() => second.SaveChangesAsync());
        await using var check = scratch.Open();
        Assert.Equal("first", (await check.Organizations.SingleAsync()).Name);
    }

    [Theory]
    [InlineData("postgresql://ravioli:s%40cret@db.example:6543/platform", "Host=db.example;Port=6543;Database=platform;Username=ravioli;Password=s@cret")]
    [InlineData("Host=127.0.0.1;Port=5432;Database=x", "Host=127.0.0.1;Port=5432;Database=x")]
    public void Postgres_uris_become_npgsql_connection_strings(string given, string expected)
    {
        Assert.True(StoreSetup.IsPostgres(given));
        Assert.Equal(expected, StoreSetup.NormalizePostgres(given));
    }
}
