using System.ComponentModel.DataAnnotations;

namespace Ravioli.Node;

/// <summary>Settings of the node agent; each has a documented default (docs/configuration.md).</summary>
public sealed class NodeOptions
{
    public const string Section = "Ravioli:Node";

    /// <summary>The platform's data directory; the node keeps its own state under DATA/node.</summary>
    [Required]
    public string DataDirectory { get; set; } = "";

    /// <summary>Where the control plane serves /internal/v1/desired.</summary>
    public string ControlPlaneUrl { get; set; } = "http://127.0.0.1:8080";

    /// <summary>The node's internal API (stats, logs) for the control plane; loopback only.</summary>
    [Range(0, 65535)]
    public int NodePort { get; set; } = 8082;

    /// <summary>The router's port: http://NAME.APPS_DOMAIN:PORT reaches an app.</summary>
    [Range(0, 65535)]
    public int RouterPort { get; set; } = 8081;

    /// <summary>
    /// A second router port for cleartext HTTP/2 with prior knowledge (h2c); 0 = off. Cleartext needs its own port:
    /// without TLS there is no ALPN to pick HTTP/2 on the HTTP/1.1 port.
    /// </summary>
    [Range(0, 65535)]
    public int RouterHttp2Port { get; set; }

    /// <summary>The router's bind address.</summary>
    public string RouterListenAddress { get; set; } = "127.0.0.1";

    /// <summary>How often the desired set is read when the control plane is unreachable or watching is off; an unchanged set costs one 304.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long one watch of the desired set is held by the control plane (0 = no watch, poll every PollInterval).
    /// A change reaches the node as soon as it is committed; the watch only bounds how long a quiet connection lives.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:30")]
    public TimeSpan WatchTime { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>How often the reconciler re-checks even without news (level-triggered safety net).</summary>
    public TimeSpan ReconcileInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long an instance leaving the route table keeps running, so requests in flight finish before SIGTERM.</summary>
    public TimeSpan DrainTime { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Log lines kept per app for `rav logs --recent`.</summary>
    [Range(10, 100_000)]
    public int LogLinesPerApp { get; set; } = 1000;

    /// <summary>Restart policy: immediate restarts, then a delay doubling up to the maximum (Cloud Foundry's numbers).</summary>
    public int ImmediateRestarts { get; set; } = 3;

    public TimeSpan InitialRestartDelay { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan MaxRestartDelay { get; set; } = TimeSpan.FromMinutes(16);

    /// <summary>Refuse to run apps unsandboxed (no bwrap or no cgroups) instead of warning.</summary>
    public bool RequireSandbox { get; set; }

    public string StateDirectory => Path.Combine(DataDirectory, "node");
}
