namespace Ravioli.Store.Entities;

/// <summary>Uploaded application bits: a zip checked for safety and stored in the blobstore.</summary>
public sealed class PackageEntity : ResourceEntity
{
    public string AppGuid { get; set; } = "";
    public string State { get; set; } = "";

    /// <summary>SHA-256 of the zip; the blobstore key.</summary>
    public string? BlobKey { get; set; }
    public long SizeBytes { get; set; }
    public string? Error { get; set; }
}

/// <summary>One staging run of a package.</summary>
public sealed class BuildEntity : ResourceEntity
{
    public string AppGuid { get; set; } = "";
    public string PackageGuid { get; set; } = "";
    public string State { get; set; } = "";
    public string? Error { get; set; }

    /// <summary>JSON array of requested buildpack names (empty = detect).</summary>
    public string Buildpacks { get; set; } = "[]";
    public string? DropletGuid { get; set; }
    public string CreatedByGuid { get; set; } = "";
    public string CreatedByName { get; set; } = "";
}

/// <summary>The staged, runnable result of a build: an immutable archive plus its start commands.</summary>
public sealed class DropletEntity : ResourceEntity
{
    public string AppGuid { get; set; } = "";
    public string? PackageGuid { get; set; }
    public string? BuildGuid { get; set; }
    public string State { get; set; } = "";
    public string? BlobKey { get; set; }
    public string? Buildpack { get; set; }

    /// <summary>JSON object: process type → start command, from the buildpack and the Procfile.</summary>
    public string ProcessTypes { get; set; } = "{}";
    public string? Error { get; set; }
}

/// <summary>A process type of an app (web, worker): what to run and how many.</summary>
public sealed class ProcessEntity : ResourceEntity
{
    public string AppGuid { get; set; } = "";
    public string Type { get; set; } = "";

    /// <summary>Null = the droplet's command for this type.</summary>
    public string? Command { get; set; }
    public int Instances { get; set; }
    public int MemoryMb { get; set; }
    public int DiskMb { get; set; }
    public string HealthCheckType { get; set; } = "port";
    public string? HealthCheckEndpoint { get; set; }
    public int? HealthCheckTimeoutSeconds { get; set; }
    public int? HealthCheckInvocationTimeoutSeconds { get; set; }

    /// <summary>Bumped by start, restart, restage and memory/disk changes; the node replaces instances (rolling) when it changes.</summary>
    public int RunGeneration { get; set; }

    /// <summary>
    /// What instances of this generation run, frozen when it was started (droplet, command, env, limits,
    /// health check), sealed because it holds env vars. Later env or droplet edits wait for a restart, as in CF.
    /// </summary>
    public string? RunSpec { get; set; }
}

public sealed class DomainEntity : NamedResourceEntity
{
    /// <summary>Null = shared by all orgs (the apps domain); otherwise private to the org.</summary>
    public string? OrganizationGuid { get; set; }
}

public sealed class RouteEntity : ResourceEntity
{
    public string Host { get; set; } = "";
    public string Path { get; set; } = "";
    public string DomainGuid { get; set; } = "";
    public DomainEntity? Domain { get; set; }
    public string SpaceGuid { get; set; } = "";
    public SpaceEntity? Space { get; set; }
}

/// <summary>A route's destination: an app's process type (CF v3 route destinations).</summary>
public sealed class RouteMappingEntity : ResourceEntity
{
    public string RouteGuid { get; set; } = "";
    public string AppGuid { get; set; } = "";
    public string ProcessType { get; set; } = "web";
}

/// <summary>An operator buildpack uploaded as a zip; built-ins are not stored.</summary>
public sealed class BuildpackEntity : NamedResourceEntity
{
    public int Position { get; set; }
    public bool Enabled { get; set; } = true;
    public string? BlobKey { get; set; }
    public string? Filename { get; set; }
}

/// <summary>A one-off command run from the app's droplet (`rav run-task`): migrations, batch jobs.</summary>
public sealed class TaskEntity : NamedResourceEntity
{
    public string AppGuid { get; set; } = "";

    /// <summary>Per app, from 1: the id users see in `rav tasks`.</summary>
    public int SequenceId { get; set; }
    public string Command { get; set; } = "";
    public string State { get; set; } = "";
    public string DropletGuid { get; set; } = "";
    public int MemoryMb { get; set; }
    public int DiskMb { get; set; }

    /// <summary>Sealed: the frozen run spec holds the app's env vars.</summary>
    public string RunSpec { get; set; } = "";
    public string? FailureReason { get; set; }
    public int? ExitCode { get; set; }
}
