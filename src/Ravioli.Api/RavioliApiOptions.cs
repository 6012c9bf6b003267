using System.ComponentModel.DataAnnotations;
using Ravioli.Store;

namespace Ravioli.Api;

/// <summary>Settings of the control plane API; each has a documented default (docs/configuration.md).</summary>
public sealed class RavioliApiOptions
{
    public const string Section = "Ravioli";

    /// <summary>Where state lives: the SQLite database, signing and secret keys, the admin password file.</summary>
    [Required]
    public string DataDirectory { get; set; } = "";

    /// <summary>Database connection: empty = SQLite in the data directory; a postgresql:// URI or Npgsql string = PostgreSQL.</summary>
    public string Database { get; set; } = "";

    /// <summary>SQLite only: how long a request waits for a lock another process holds before answering 503 (default 10 s).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan DatabaseBusyTimeout { get; set; } = StoreSetup.DefaultBusyTimeout;

    public string AppsDomain { get; set; } = "apps.localhost";

    [Range(0, 65535)]
    public int ApiPort { get; set; } = 8080;

    /// <summary>How long one staging may run before it fails with a timeout (Cloud Foundry: 15 minutes).</summary>
    [Range(typeof(TimeSpan), "00:00:10", "02:00:00")]
    public TimeSpan StagingTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// How long a package may wait for its bits before it is FAILED (a push cut off between creating the package and
    /// uploading, e.g. by a control plane crash, would otherwise leave it AWAITING_UPLOAD forever). Default 1 hour.
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan PendingUploadExpiry { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The node agent's internal API (stats, logs); the node listens on loopback only.</summary>
    public string NodeUrl { get; set; } = "http://127.0.0.1:8082";

    [Range(0, 65535)]
    public int RouterPort { get; set; } = 8081;

    [Range(typeof(TimeSpan), "00:00:05", "1.00:00:00")]
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(20);

    [Range(typeof(TimeSpan), "00:01:00", "365.00:00:00")]
    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(30);

    /// <summary>PBKDF2-SHA256 iterations for new password hashes (OWASP's 2023 figure). Existing hashes keep theirs.</summary>
    [Range(1_000, 10_000_000)]
    public int PasswordIterations { get; set; } = 600_000;

    [Range(1, 1000)]
    public int MaxFailedLogins { get; set; } = 5;

    public TimeSpan FailedLoginWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>First lockout after MaxFailedLogins; doubles with every further failure up to LockoutMax.</summary>
    public TimeSpan LockoutBase { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan LockoutMax { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>The admin's password on first start; empty = generate one and write it to DATA/admin-password.</summary>
    public string AdminPassword { get; set; } = "";
}
