using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Ravioli.Store.Entities;

namespace Ravioli.Store;

/// <summary>The control plane's database: the single source of truth for desired state.</summary>
public sealed class RavioliDb(DbContextOptions<RavioliDb> options, TimeProvider? time = null) : DbContext(options)
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

    public DateTime UtcNow => _time.GetUtcNow().UtcDateTime;

    public override Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
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
        return base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
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
            e.Property(x => x.Name).HasColumnName("name");
            e.Property(x => x.Suspended).HasColumnName("suspended");
            e.Property(x => x.QuotaGuid).HasColumnName("quota_guid");
            e.HasIndex(x => x.Name).IsUnique();
            e.HasOne(x => x.Quota).WithMany().HasForeignKey(x => x.QuotaGuid).OnDelete(DeleteBehavior.Restrict);
        });
        b.Entity<SpaceEntity>(e =>
        {
            e.ToTable("spaces");
            Resource(e);
            e.Property(x => x.Name).HasColumnName("name");
            e.Property(x => x.OrganizationGuid).HasColumnName("organization_guid");
            e.HasIndex(x => new { x.OrganizationGuid, x.Name }).IsUnique();
            e.HasOne(x => x.Organization).WithMany().HasForeignKey(x => x.OrganizationGuid).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<UserEntity>(e =>
        {
            e.ToTable("users");
            Resource(e);
            e.Property(x => x.Username).HasColumnName("username");
            e.Property(x => x.UsernameKey).HasColumnName("username_key");
            e.Property(x => x.PasswordHash).HasColumnName("password_hash");
            e.Property(x => x.Admin).HasColumnName("admin");
            e.HasIndex(x => x.UsernameKey).IsUnique();
        });
        b.Entity<RoleEntity>(e =>
        {
            e.ToTable("roles");
            Resource(e);
            e.Property(x => x.Type).HasColumnName("type");
            e.Property(x => x.UserGuid).HasColumnName("user_guid");
            e.Property(x => x.OrganizationGuid).HasColumnName("organization_guid");
            e.Property(x => x.SpaceGuid).HasColumnName("space_guid");
            e.Property(x => x.ScopeGuid).HasColumnName("scope_guid");
            e.HasIndex(x => new { x.UserGuid, x.Type, x.ScopeGuid }).IsUnique();
            e.HasOne<UserEntity>().WithMany().HasForeignKey(x => x.UserGuid).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<OrganizationEntity>().WithMany().HasForeignKey(x => x.OrganizationGuid).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<SpaceEntity>().WithMany().HasForeignKey(x => x.SpaceGuid).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<OrganizationQuotaEntity>(e =>
        {
            e.ToTable("organization_quotas");
            Resource(e);
            e.Property(x => x.Name).HasColumnName("name");
            e.Property(x => x.TotalMemoryInMb).HasColumnName("total_memory_in_mb");
            e.Property(x => x.PerProcessMemoryInMb).HasColumnName("per_process_memory_in_mb");
            e.Property(x => x.TotalInstances).HasColumnName("total_instances");
            e.Property(x => x.TotalApps).HasColumnName("total_apps");
            e.Property(x => x.TotalServiceInstances).HasColumnName("total_service_instances");
            e.Property(x => x.TotalRoutes).HasColumnName("total_routes");
            e.HasIndex(x => x.Name).IsUnique();
        });
        b.Entity<AppEntity>(e =>
        {
            e.ToTable("apps");
            Resource(e);
            e.Property(x => x.Name).HasColumnName("name");
            e.Property(x => x.SpaceGuid).HasColumnName("space_guid");
            e.Property(x => x.State).HasColumnName("state");
            e.Property(x => x.LifecycleType).HasColumnName("lifecycle_type");
            e.Property(x => x.Buildpacks).HasColumnName("buildpacks");
            e.Property(x => x.Stack).HasColumnName("stack");
            e.Property(x => x.EnvironmentVariables).HasColumnName("environment_variables");
            e.Property(x => x.CurrentDropletGuid).HasColumnName("current_droplet_guid");
            e.HasIndex(x => new { x.SpaceGuid, x.Name }).IsUnique();
            e.HasOne(x => x.Space).WithMany().HasForeignKey(x => x.SpaceGuid).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<AuditEventEntity>(e =>
        {
            e.ToTable("audit_events");
            Resource(e);
            e.Property(x => x.Type).HasColumnName("type");
            e.Property(x => x.ActorGuid).HasColumnName("actor_guid");
            e.Property(x => x.ActorType).HasColumnName("actor_type");
            e.Property(x => x.ActorName).HasColumnName("actor_name");
            e.Property(x => x.TargetGuid).HasColumnName("target_guid");
            e.Property(x => x.TargetType).HasColumnName("target_type");
            e.Property(x => x.TargetName).HasColumnName("target_name");
            e.Property(x => x.OrganizationGuid).HasColumnName("organization_guid");
            e.Property(x => x.SpaceGuid).HasColumnName("space_guid");
            e.Property(x => x.Data).HasColumnName("data");
            e.HasIndex(x => x.CreatedAt);
            e.HasIndex(x => x.TargetGuid);
        });
        b.Entity<RefreshTokenEntity>(e =>
        {
            e.ToTable("refresh_tokens");
            e.HasKey(x => x.Guid);
            e.Property(x => x.Guid).HasColumnName("guid");
            e.Property(x => x.UserGuid).HasColumnName("user_guid");
            e.Property(x => x.TokenHash).HasColumnName("token_hash");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
            e.Property(x => x.ExpiresAt).HasColumnName("expires_at");
            e.Property(x => x.RevokedAt).HasColumnName("revoked_at");
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
    }

    /// <summary>Maps every not-yet-mapped property to its snake_case column, as the migrations name them.</summary>
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
        e.Property(x => x.Guid).HasColumnName("guid");
        e.Property(x => x.CreatedAt).HasColumnName("created_at");
        e.Property(x => x.UpdatedAt).HasColumnName("updated_at");
        e.Property(x => x.Version).HasColumnName("version").IsConcurrencyToken();
    }

    private sealed class UtcDateTimeConverter() : ValueConverter<DateTime, DateTime>(
        v => v.Kind == DateTimeKind.Utc ? v : v.ToUniversalTime(),
        v => DateTime.SpecifyKind(v, DateTimeKind.Utc));
}
