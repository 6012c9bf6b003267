namespace Ravioli.Store.Entities;

/// <summary>What every stored resource has: a guid, timestamps and a concurrency token.</summary>
public abstract class ResourceEntity
{
    public string Guid { get; set; } = System.Guid.NewGuid().ToString();
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }

    /// <summary>Changes on every update; a stale copy's update fails instead of overwriting (optimistic concurrency).</summary>
    public string Version { get; set; } = System.Guid.NewGuid().ToString("N");
}

public abstract class NamedResourceEntity : ResourceEntity
{
    public string Name { get; set; } = "";
}

public sealed class OrganizationEntity : NamedResourceEntity
{
    public bool Suspended { get; set; }
    public string? QuotaGuid { get; set; }
    public OrganizationQuotaEntity? Quota { get; set; }
}

public sealed class SpaceEntity : NamedResourceEntity
{
    public string OrganizationGuid { get; set; } = "";
    public OrganizationEntity? Organization { get; set; }
}

public sealed class UserEntity : ResourceEntity
{
    public string Username { get; set; } = "";

    /// <summary>Lower-cased username; unique, so "Alice" and "alice" are one user.</summary>
    public string UsernameKey { get; set; } = "";
    public string PasswordHash { get; set; } = "";
    public bool Admin { get; set; }
}

public sealed class RoleEntity : ResourceEntity
{
    public string Type { get; set; } = "";
    public string UserGuid { get; set; } = "";

    /// <summary>Set for every role, space roles included, so "which orgs can this user see" is one lookup.</summary>
    public string OrganizationGuid { get; set; } = "";
    public string? SpaceGuid { get; set; }

    /// <summary>SpaceGuid ?? OrganizationGuid: a non-null column so a unique index can forbid duplicate roles.</summary>
    public string ScopeGuid { get; set; } = "";
}

public sealed class OrganizationQuotaEntity : NamedResourceEntity
{
    public int? TotalMemoryInMb { get; set; }
    public int? PerProcessMemoryInMb { get; set; }
    public int? TotalInstances { get; set; }
    public int? TotalApps { get; set; }
    public int? TotalServiceInstances { get; set; }
    public int? TotalRoutes { get; set; }
}

public sealed class AppEntity : NamedResourceEntity
{
    public string SpaceGuid { get; set; } = "";
    public SpaceEntity? Space { get; set; }
    public string State { get; set; } = "";
    public string LifecycleType { get; set; } = "buildpack";

    /// <summary>JSON array of buildpack names, in order.</summary>
    public string Buildpacks { get; set; } = "[]";
    public string? Stack { get; set; }

    /// <summary>JSON object of the app's environment variables, encrypted with the platform's secret key.</summary>
    public string EnvironmentVariables { get; set; } = "";

    /// <summary>The droplet new instances run; null until the first successful staging.</summary>
    public string? CurrentDropletGuid { get; set; }
}

public sealed class AuditEventEntity : ResourceEntity
{
    public string Type { get; set; } = "";
    public string ActorGuid { get; set; } = "";
    public string ActorType { get; set; } = "";
    public string ActorName { get; set; } = "";
    public string TargetGuid { get; set; } = "";
    public string TargetType { get; set; } = "";
    public string TargetName { get; set; } = "";
    public string? OrganizationGuid { get; set; }
    public string? SpaceGuid { get; set; }

    /// <summary>JSON object with the request's non-secret fields.</summary>
    public string Data { get; set; } = "{}";
}

public sealed class RefreshTokenEntity
{
    public string Guid { get; set; } = System.Guid.NewGuid().ToString();
    public string UserGuid { get; set; } = "";

    /// <summary>SHA-256 of the token; the token itself is never stored.</summary>
    public string TokenHash { get; set; } = "";
    public DateTime CreatedAt { get; set; }
    public DateTime ExpiresAt { get; set; }
    public DateTime? RevokedAt { get; set; }
}
