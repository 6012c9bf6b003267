using System.Text.Json.Nodes;

namespace Ravioli.Cli.Manifests;

/// <summary>
/// How one process type should run. Null means "not said", so layers (a <c>processes:</c> entry, the
/// app-level keys, command-line flags) can be overlaid with the later one winning.
/// </summary>
internal sealed record ProcessSettings
{
    public int? Instances { get; init; }

    public long? MemoryMb { get; init; }

    public long? DiskMb { get; init; }

    /// <summary>The start command; empty means "back to the droplet's command" (cf's <c>-c null</c>).</summary>
    public string? Command { get; init; }

    /// <summary><c>port</c>, <c>http</c> or <c>process</c> (cf's legacy <c>none</c> is read as <c>process</c>).</summary>
    public string? HealthCheckType { get; init; }

    public string? HealthCheckEndpoint { get; init; }

    /// <summary>Seconds an instance may take to become healthy.</summary>
    public int? Timeout { get; init; }

    public int? InvocationTimeout { get; init; }

    public bool HasScale => Instances is not null || MemoryMb is not null || DiskMb is not null;

    public bool HasProcessUpdate
        => Command is not null || HealthCheckType is not null || HealthCheckEndpoint is not null || Timeout is not null || InvocationTimeout is not null;

    /// <summary>These settings with every value <paramref name="over"/> gives replacing this one's.</summary>
    public ProcessSettings Overlay(ProcessSettings? over) => over is null
        ? this
        : new ProcessSettings
        {
            Instances = over.Instances ?? Instances,
            MemoryMb = over.MemoryMb ?? MemoryMb,
            DiskMb = over.DiskMb ?? DiskMb,
            Command = over.Command ?? Command,
            HealthCheckType = over.HealthCheckType ?? HealthCheckType,
            HealthCheckEndpoint = over.HealthCheckEndpoint ?? HealthCheckEndpoint,
            Timeout = over.Timeout ?? Timeout,
            InvocationTimeout = over.InvocationTimeout ?? InvocationTimeout,
        };
}

/// <summary>A <c>processes:</c> entry of a manifest.</summary>
internal sealed record ProcessManifest(string Type, ProcessSettings Settings, int Line);

/// <summary>One entry of a manifest's <c>applications:</c>, in Cloud Foundry's format.</summary>
internal sealed record AppManifest
{
    public required string Name { get; init; }

    /// <summary>Where the entry starts in the file, for messages.</summary>
    public int Line { get; init; }

    /// <summary>The app's files, relative to the manifest's directory; null = that directory.</summary>
    public string? Path { get; init; }

    /// <summary>The app-level keys (memory, instances, command, health check, ...), which apply to the web process.</summary>
    public ProcessSettings Web { get; init; } = new();

    /// <summary>Null when the manifest says nothing; empty to auto-detect (legacy <c>buildpack: default</c>).</summary>
    public IReadOnlyList<string>? Buildpacks { get; init; }

    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();

    /// <summary>Routes as written (<c>host.domain/path</c>); null when the manifest has no <c>routes:</c>.</summary>
    public IReadOnlyList<string>? Routes { get; init; }

    public bool RandomRoute { get; init; }

    public bool NoRoute { get; init; }

    public IReadOnlyList<ProcessManifest> Processes { get; init; } = [];

    /// <summary>The service instances to bind to the app, in the manifest's order.</summary>
    public IReadOnlyList<ServiceManifest> Services { get; init; } = [];
}

/// <summary>
/// An entry of a manifest's <c>services:</c>: an instance name, or cf's <c>{name, parameters, binding_name}</c>
/// (parameters go to the broker with the bind; the binding name is the app's name for it in VCAP_SERVICES).
/// </summary>
internal sealed record ServiceManifest(string Name, JsonObject? Parameters = null, string? BindingName = null);

/// <summary>A parsed manifest file: its apps in order, and warnings about what it ignored.</summary>
internal sealed record Manifest(string FilePath, IReadOnlyList<AppManifest> Apps, IReadOnlyList<string> Warnings)
{
    public string Directory => System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(FilePath))!;
}
