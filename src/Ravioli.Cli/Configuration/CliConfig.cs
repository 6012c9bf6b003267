namespace Ravioli.Cli.Configuration;

/// <summary>What <c>config.json</c> holds: where the API is, who is logged in, and what is targeted.</summary>
internal sealed record CliConfig
{
    public string? ApiUrl { get; init; }

    public string? AccessToken { get; init; }

    public string? RefreshToken { get; init; }

    public string? Username { get; init; }

    public TargetRef? Organization { get; init; }

    public TargetRef? Space { get; init; }

    public bool HasSession() => AccessToken is not null || RefreshToken is not null;

    /// <summary>The same API with no user and no target, as after a logout.</summary>
    public CliConfig LoggedOut() => new() { ApiUrl = ApiUrl };
}

/// <summary>A targeted org or space, remembered by guid (for requests) and name (for messages).</summary>
internal sealed record TargetRef(string Guid, string Name);
