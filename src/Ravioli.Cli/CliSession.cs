using Ravioli.Cli.Configuration;
using Ravioli.Cli.Http;
using Ravioli.Cli.Output;

namespace Ravioli.Cli;

/// <summary>One run of <c>rav</c>: its environment, its config (loaded once, saved on change) and its API client.</summary>
internal sealed class CliSession : IDisposable
{
    public const string DefaultApiUrl = "http://127.0.0.1:8080";
    public const string NotLoggedInMessage = "Not logged in. Run 'rav login -a URL -u USER'.";
    public const string NoOrgMessage = "No org targeted. Run 'rav target -o ORG'.";
    public const string NoSpaceMessage = "No space targeted. Run 'rav target -s SPACE'.";

    private readonly ConfigStore _store;
    private ApiClient? _api;

    public CliSession(CliEnvironment env)
    {
        Env = env;
        Ui = new Ui(env);
        _store = new ConfigStore(env.Home);
    }

    public CliEnvironment Env { get; }

    public Ui Ui { get; }

    public CliConfig Config { get; private set; } = new();

    public ApiClient Api => _api ??= new ApiClient(this);

    public Resolver Resolve => new(Api);

    /// <summary>Who the progress lines say is acting ("Creating org o as admin...").</summary>
    public string UserName => Config.Username ?? "you";

    public async Task LoadAsync(CancellationToken cancellationToken) => Config = await _store.LoadAsync(cancellationToken);

    /// <summary>Reads the config again, for when another rav process may have changed it meanwhile.</summary>
    public async Task<CliConfig> ReloadAsync(CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken);
        return Config;
    }

    public async Task SaveAsync(CliConfig config, CancellationToken cancellationToken)
    {
        Config = config;
        await _store.SaveAsync(config, cancellationToken);
    }

    public void RequireLogin()
    {
        if (Config.ApiUrl is null || !Config.HasSession())
        {
            throw new CliException(NotLoggedInMessage);
        }
    }

    public TargetRef RequireOrg()
    {
        RequireLogin();
        return Config.Organization ?? throw new CliException(NoOrgMessage);
    }

    public TargetRef RequireSpace()
    {
        RequireOrg();
        return Config.Space ?? throw new CliException(NoSpaceMessage);
    }

    public void Dispose() => _api?.Dispose();
}
