namespace Ravioli.Staging;

/// <summary>Settings of the <see cref="Stager"/> that do not change per app.</summary>
public sealed record StagerOptions
{
    /// <summary>
    /// Host environment variables passed to staging commands. Everything else is kept out, so the
    /// platform's own settings and secrets never reach a buildpack. Default: search path, locale,
    /// proxies, and NuGet's certificate revocation mode (hosts without internet need it offline).
    /// </summary>
    public IReadOnlyList<string> PassThroughEnvironment { get; init; } =
    [
        "PATH", "LANG", "LC_ALL", "TZ",
        "http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY",
        "SSL_CERT_FILE", "SSL_CERT_DIR", "NUGET_CERT_REVOCATION_MODE",
    ];

    /// <summary>The value of <c>CF_STACK</c> during staging, which operator buildpacks check. Default <c>ravioli</c>.</summary>
    public string Stack { get; init; } = "ravioli";

    /// <summary>How many of a failed command's last output lines go into the error message. Default 20.</summary>
    public int FailureOutputLines { get; init; } = 20;

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(PassThroughEnvironment);
        ArgumentException.ThrowIfNullOrWhiteSpace(Stack);
        ArgumentOutOfRangeException.ThrowIfLessThan(FailureOutputLines, 1);
    }
}
