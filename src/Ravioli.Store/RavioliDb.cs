using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Ravioli.Store.Entities;

namespace Ravioli.Store;

/// <summary>The control plane's database: the single source of truth for desired state.</summary>
public sealed class RavioliDb(DbContextOptions<RavioliDb> options, TimeProvider? time = null, DesiredStateSignal? desired = null) : DbContext(options)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public DbSet<OrganizationEntity> Organizations => Set<OrganizationEntity>();
    public DbSet<SpaceEntity> Spaces => Set<SpaceEntity>();
    public DbSet<UserEntity> Users => Set<UserEntity>();
    public DbSet<RoleEntity> Roles => Set<RoleEntity>();
    public DbSet<OrganizationQuotaEntity> OrganizationQuotas => Set<OrganizationQuotaEntity>();
    public DbSet<AppEntity> Apps => Set<AppEntity>();
    public DbSet<AuditEventEntity> AuditEvents => Set<AuditEventEntity>();
    public DbSet<RefreshTokenEntity> RefreshTokens => Set<RefreshTokenEntity>();
    public DbSet<PackageEntity> Packages => Set<PackageEntity>();
    public DbSet<BuildEntity> Builds => Set<BuildEntity>();
    public DbSet<DropletEntity> Droplets => Set<DropletEntity>();
    public DbSet<ProcessEntity> Processes => Set<ProcessEntity>();
    public DbSet<DomainEntity> Domains => Set<DomainEntity>();
    public DbSet<RouteEntity> Routes => Set<RouteEntity>();
    public DbSet<RouteMappingEntity> RouteMappings => Set<RouteMappingEntity>();
    public DbSet<BuildpackEntity> Buildpacks => Set<BuildpackEntity>();
    public DbSet<TaskEntity> Tasks => Set<TaskEntity>();
    public DbSet<ServiceBrokerEntity> ServiceBrokers => Set<ServiceBrokerEntity>();
    public DbSet<ServiceOfferingEntity> ServiceOfferings => Set<ServiceOfferingEntity>();
    public DbSet<ServicePlanEntity> ServicePlans => Set<ServicePlanEntity>();
    public DbSet<ServicePlanVisibilityEntity> ServicePlanVisibilities => Set<ServicePlanVisibilityEntity>();
    public DbSet<ServiceInstanceEntity> ServiceInstances => Set<ServiceInstanceEntity>();
    public DbSet<ServiceBindingEntity> ServiceBindings => Set<ServiceBindingEntity>();

    public DateTime UtcNow => _time.GetUtcNow().UtcDateTime;

    public override async Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        Stamp();
        var ring = desired is not null && TouchesDesiredState();
        int saved;
        // Inside an explicit transaction the caller already chose its locking; the gate is for the common case.
        if (Database.CurrentTransaction is not null || SqliteWriteGate.For(this) is not { } gate)
        {
            saved = await base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
        }
        else
        {
            using (await gate.EnterAsync(cancellationToken))
            {
                saved = await base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
            }
        }
        // Inside a transaction the write is not visible yet; the watcher's one-second re-read catches it after the commit.
        if (ring && Database.CurrentTransaction is null)
        {
            desired!.Ring();
        }
        return saved;
    }

    /// <summary>Whether this save changes a row the nodes' desired set is built from (see NodeApi.BuildAsync).</summary>
    private bool TouchesDesiredState() =>
        ChangeTracker.Entries().Any(e => e.State is EntityState.Added or EntityState.Modified or EntityState.Deleted
            && e.Entity is AppEntity or ProcessEntity or RouteEntity or RouteMappingEntity or DomainEntity or TaskEntity or ServiceBindingEntity);

    private void Stamp()
    {
        var now = UtcNow;
        foreach (var entry in ChangeTracker.Entries<ResourceEntity>())
        {
            if (entry.State == EntityState.Added)
            {
                entry.Entity.CreatedAt = now;
                entry.Entity.UpdatedAt = now;
            }
            else if (entry.State == EntityState.Modified)
            {
                entry.Entity.UpdatedAt = now;
                entry.Entity.Version = Guid.NewGuid().ToString("N");
            }
        }
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // SQLite hands DateTime back as Unspecified; everything we store is UTC, and Npgsql insists on Kind=Utc.
        configurationBuilder.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
    }

    protected override void OnModelCreating(ModelBuilder b)
    {
        b.Entity<OrganizationEntity>(e =>
        {
            e.ToTable("organizations");
            Resource(e);
            Columns(e);
            e.HasIndex(x => x.Name).IsUnique();
            e.HasOne(x => x.Quota).WithMany().HasForeignKey(x => x.QuotaGuid).OnDelete(DeleteBehavior.Restrict);
        });
        b.Entity<SpaceEntity>(e =>
        {
            e.ToTable("spaces");
            Resource(e);
            Columns(e);
            e.HasIndex(x => new { x.OrganizationGuid, x.Name }).IsUnique();
            e.HasOne(x => x.Organization).WithMany().HasForeignKey(x => x.OrganizationGuid).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<UserEntity>(e =>
        {
            e.ToTable("users");
            Resource(e);
            Columns(e);
            e.HasIndex(x => x.UsernameKey).IsUnique();
        });
        b.Entity<RoleEntity>(e =>
        {
            e.ToTable("roles");
            Resource(e);
            Columns(e);
            e.HasIndex(x => new { x.UserGuid, x.Type, x.ScopeGuid }).IsUnique();
            e.HasOne<UserEntity>().WithMany().HasForeignKey(x => x.UserGuid).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<OrganizationEntity>().WithMany().HasForeignKey(x => x.OrganizationGuid).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<SpaceEntity>().WithMany().HasForeignKey(x => x.SpaceGuid).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<OrganizationQuotaEntity>(e =>
        {
            e.ToTable("organization_quotas");
            Resource(e);
            Columns(e);
            e.HasIndex(x => x.Name).IsUnique();
        });
        b.Entity<AppEntity>(e =>
        {
            e.ToTable("apps");
            Resource(e);
            Columns(e);
            e.HasIndex(x => new { x.SpaceGuid, x.Name }).IsUnique();
            e.HasIndex(x => new { x.CreatedAt, x.Guid }).HasDatabaseName("ix_apps_created_at_guid");
            e.HasOne(x => x.Space).WithMany().HasForeignKey(x => x.SpaceGuid).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<AuditEventEntity>(e =>
        {
            e.ToTable("audit_events");
            Resource(e);
            Columns(e);
            e.HasIndex(x => x.CreatedAt);
            e.HasIndex(x => x.TargetGuid);
        });
        b.Entity<RefreshTokenEntity>(e =>
        {
            e.ToTable("refresh_tokens");
            e.HasKey(x => x.Guid);
            Columns(e);
            e.HasIndex(x => x.TokenHash).IsUnique();
            e.HasOne<UserEntity>().WithMany().HasForeignKey(x => x.UserGuid).OnDelete(DeleteBehavior.Cascade);
        });
        OnLifecycleModelCreating(b);
    }

    private static void OnLifecycleModelCreating(ModelBuilder b)
    {
        b.Entity<PackageEntity>(e =>
        {
            e.ToTable("packages");
            Resource(e);
            Columns(e);
            e.HasIndex(x => x.AppGuid);
            e.HasOne<AppEntity>().WithMany().HasForeignKey(x => x.AppGuid).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<BuildEntity>(e =>
        {
            e.ToTable("builds");
            Resource(e);
            Columns(e);
            e.HasIndex(x => x.AppGuid);
            e.HasIndex(x => x.State);
            e.HasOne<AppEntity>().WithMany().HasForeignKey(x => x.AppGuid).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<DropletEntity>(e =>
        {
            e.ToTable("droplets");
            Resource(e);
            Columns(e);
            e.HasIndex(x => x.AppGuid);
            e.HasOne<AppEntity>().WithMany().HasForeignKey(x => x.AppGuid).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<ProcessEntity>(e =>
        {
            e.ToTable("processes");
            Resource(e);
            Columns(e);
            e.HasIndex(x => new { x.AppGuid, x.Type }).IsUnique();
            e.HasOne<AppEntity>().WithMany().HasForeignKey(x => x.AppGuid).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<DomainEntity>(e =>
        {
            e.ToTable("domains");
            Resource(e);
            Columns(e);
            e.HasIndex(x => x.Name).IsUnique();
            e.HasOne<OrganizationEntity>().WithMany().HasForeignKey(x => x.OrganizationGuid).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<RouteEntity>(e =>
        {
            e.ToTable("routes");
            Resource(e);
            Columns(e);
            e.HasIndex(x => new { x.Host, x.DomainGuid, x.Path }).IsUnique();
            e.HasIndex(x => x.SpaceGuid);
            e.HasOne(x => x.Domain).WithMany().HasForeignKey(x => x.DomainGuid).OnDelete(DeleteBehavior.Cascade);
            e.HasOne(x => x.Space).WithMany().HasForeignKey(x => x.SpaceGuid).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<RouteMappingEntity>(e =>
        {
            e.ToTable("route_mappings");
            Resource(e);
            Columns(e);
            e.HasIndex(x => new { x.RouteGuid, x.AppGuid, x.ProcessType }).IsUnique();
            e.HasIndex(x => x.AppGuid);
            e.HasOne<RouteEntity>().WithMany().HasForeignKey(x => x.RouteGuid).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<AppEntity>().WithMany().HasForeignKey(x => x.AppGuid).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<TaskEntity>(e =>
        {
            e.ToTable("tasks");
            Resource(e);
            Columns(e);
            e.HasIndex(x => new { x.AppGuid, x.SequenceId }).IsUnique();
            e.HasIndex(x => x.State);
            e.HasOne<AppEntity>().WithMany().HasForeignKey(x => x.AppGuid).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<BuildpackEntity>(e =>
        {
            e.ToTable("buildpacks");
            Resource(e);
            Columns(e);
            e.HasIndex(x => x.Name).IsUnique();
        });
        b.Entity<ServiceBrokerEntity>(e =>
        {
            e.ToTable("service_brokers");
            Resource(e);
            Columns(e);
            e.HasIndex(x => x.Name).IsUnique();
            e.HasOne<SpaceEntity>().WithMany().HasForeignKey(x => x.SpaceGuid).OnDelete(DeleteBehavior.Restrict);
        });
        b.Entity<ServiceOfferingEntity>(e =>
        {
            e.ToTable("service_offerings");
            Resource(e);
            Columns(e);
            e.HasIndex(x => new { x.BrokerGuid, x.CatalogId }).IsUnique();
            e.HasIndex(x => x.Name);
            e.HasOne(x => x.Broker).WithMany().HasForeignKey(x => x.BrokerGuid).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<ServicePlanEntity>(e =>
        {
            e.ToTable("service_plans");
            Resource(e);
            Columns(e);
            e.HasIndex(x => new { x.OfferingGuid, x.CatalogId }).IsUnique();
            e.HasOne(x => x.Offering).WithMany().HasForeignKey(x => x.OfferingGuid).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<ServicePlanVisibilityEntity>(e =>
        {
            e.ToTable("service_plan_visibilities");
            Columns(e);
            e.HasKey(x => new { x.PlanGuid, x.OrganizationGuid });
            e.HasIndex(x => x.OrganizationGuid);
            e.HasOne<ServicePlanEntity>().WithMany().HasForeignKey(x => x.PlanGuid).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<OrganizationEntity>().WithMany().HasForeignKey(x => x.OrganizationGuid).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<ServiceInstanceEntity>(e =>
        {
            e.ToTable("service_instances");
            Resource(e);
            Columns(e);
            e.HasIndex(x => new { x.SpaceGuid, x.Name }).IsUnique();
            e.HasIndex(x => x.PlanGuid);
            e.HasIndex(x => x.LastOperationState);
            e.HasOne(x => x.Space).WithMany().HasForeignKey(x => x.SpaceGuid).OnDelete(DeleteBehavior.Restrict);
            e.HasOne(x => x.Plan).WithMany().HasForeignKey(x => x.PlanGuid).OnDelete(DeleteBehavior.Restrict);
        });
        b.Entity<ServiceBindingEntity>(e =>
        {
            e.ToTable("service_bindings");
            Resource(e);
            Columns(e);
            e.HasIndex(x => new { x.InstanceGuid, x.Type, x.UniqueName }).IsUnique();
            e.HasIndex(x => x.AppGuid);
            e.HasIndex(x => x.LastOperationState);
            e.HasOne(x => x.Instance).WithMany().HasForeignKey(x => x.InstanceGuid).OnDelete(DeleteBehavior.Cascade);
        });
    }

    /// <summary>Maps every scalar property to its snake_case column (QuotaGuid → quota_guid), as the migrations name them.</summary>
    private static void Columns<T>(Microsoft.EntityFrameworkCore.Metadata.Builders.EntityTypeBuilder<T> e) where T : class
    {
        foreach (var property in typeof(T).GetProperties())
        {
            if (property.PropertyType.IsClass && property.PropertyType != typeof(string))
            {
                continue;
            }
            e.Property(property.Name).HasColumnName(SnakeCase(property.Name));
        }
    }

    private static string SnakeCase(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) && i > 0 ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    private static void Resource<T>(Microsoft.EntityFrameworkCore.Metadata.Builders.EntityTypeBuilder<T> e) where T : ResourceEntity
    {
        e.HasKey(x => x.Guid);
        e.Property(x => x.Version).IsConcurrencyToken();
    }

    private sealed class UtcDateTimeConverter() : ValueConverter<DateTime, DateTime>(
        v => v.Kind == DateTimeKind.Utc ? v : v.ToUniversalTime(),
        v => DateTime.SpecifyKind(v, DateTimeKind.Utc));
}
