namespace Ravioli.Cli.Tests.Support;

/// <summary>
/// Lets another rav "process" (an in-process run on the same config directory) refresh the session
/// just before this one's first refresh reaches the server, so this one's refresh token is already spent.
/// </summary>
internal sealed class RacingRefreshHandler(Func<Task> otherProcess) : DelegatingHandler(new SocketsHttpHandler())
{
    private bool _raced;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!_raced && request.RequestUri!.AbsolutePath == "/oauth/token"
            && (await request.Content!.ReadAsStringAsync(cancellationToken)).Contains("grant_type=refresh_token", StringComparison.Ordinal))
        {
            _raced = true;
            await otherProcess();
        }

        return await base.SendAsync(request, cancellationToken);
    }
}
