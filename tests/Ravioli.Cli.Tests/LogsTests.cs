using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Ravioli.Cli.Tests.Support;
using Ravioli.Testing;

namespace Ravioli.Cli.Tests;

/// <summary>rav logs over the NDJSON stream of docs/api.md; the stream comes from a stand-in until the server serves it.</summary>
public sealed class LogsTests(RavioliServerFixture server) : IClassFixture<RavioliServerFixture>
{
    private const string Lines = """
        {"timestamp": "2026-11-21T20:00:00.123Z", "source_type": "APP/PROC/WEB", "instance": "0", "stream": "out", "message": "listening on 61003"}
        {"timestamp": "2026-11-21T20:00:01.5Z", "source_type": "APP/PROC/WEB", "instance": "1", "stream": "err", "message": "warning: cache cold"}

        {"timestamp": "2026-11-21T20:00:02Z", "source_type": "RTR", "instance": "0", "stream": "out", "message": "GET / 200"}
        {"timestamp": "2026-11-21T20:00:03Z", "source_type": "CELL", "instance": "1", "stream": "out", "message": "Crashed: out of memory"}
        """;

    private static HttpResponseMessage Ndjson(HttpContent content)
    {
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
        return new HttpResponseMessage(HttpStatusCode.OK) { Content = content };
    }

    [Fact]
    public async Task Logs_Recent_PrintsEachLineLikeCf()
    {
        var fake = new FakeEndpoints().On(HttpMethod.Get, "/v3/apps/[^/]+/logs", (_, _) => Ndjson(new StringContent(Lines)));
        using var rav = new Rav(server, fake);
        var space = await TestSpace.CreateAsync(rav);
        var app = await space.CreateAppAsync(server, "svc");

        var result = await rav.OkAsync("logs", "svc", "--recent");

        Assert.Contains($"GET /v3/apps/{app}/logs?recent=true", fake.Requests);
        Assert.Contains($"Retrieving logs for app svc in org {space.Org} / space dev as admin...", result.Out);
        var lines = result.Out.ReplaceLineEndings("\n").Split('\n').Where(l => l.StartsWith("2026", StringComparison.Ordinal)).ToList();
        Assert.Equal(
        [
            "2026-11-21T20:00:00.12+0000 [APP/PROC/WEB/0] OUT listening on 61003",
            "2026-11-21T20:00:01.50+0000 [APP/PROC/WEB/1] ERR warning: cache cold",
            "2026-11-21T20:00:02.00+0000 [RTR/0] OUT GET / 200",
            "2026-11-21T20:00:03.00+0000 [CELL/1] OUT Crashed: out of memory",
        ], lines);
    }

    [Fact]
    public async Task Logs_RecentJson_IsOneArrayOfTheEntries()
    {
        var fake = new FakeEndpoints().On(HttpMethod.Get, "/v3/apps/[^/]+/logs", (_, _) => Ndjson(new StringContent(Lines)));
        using var rav = new Rav(server, fake);
        var space = await TestSpace.CreateAsync(rav);
        await space.CreateAppAsync(server, "svc");

        var json = (await rav.OkAsync("logs", "svc", "--recent", "--json")).Json();

        Assert.Equal(4, json.GetArrayLength());
        Assert.Equal("RTR", json[2].GetProperty("source_type").GetString());
    }

    [Fact]
    public async Task Logs_Follow_PrintsLinesUntilThePlatformClosesTheStream()
    {
        var fake = new FakeEndpoints().On(HttpMethod.Get, "/v3/apps/[^/]+/logs", (_, _) => Ndjson(new StringContent(Lines)));
        using var rav = new Rav(server, fake);
        var space = await TestSpace.CreateAsync(rav);
        var app = await space.CreateAppAsync(server, "svc");

        var result = await rav.OkAsync("logs", "svc");

        Assert.Contains($"GET /v3/apps/{app}/logs?follow=true", fake.Requests);
        Assert.Contains("[CELL/1] OUT Crashed: out of memory", result.Out);
    }

    [Fact]
    public async Task Logs_Follow_EndsQuietlyOnCtrlC()
    {
        var fake = new FakeEndpoints().On(HttpMethod.Get, "/v3/apps/[^/]+/logs", (_, _) => Ndjson(new EndlessContent(Lines.Split('\n')[0] + "\n")));
        using var rav = new Rav(server, fake);
        var space = await TestSpace.CreateAsync(rav);
        await space.CreateAppAsync(server, "svc");
        using var ctrlC = new CancellationTokenSource(TimeSpan.FromSeconds(2));

        var result = await rav.RunAsync(ctrlC.Token, "logs", "svc");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("[APP/PROC/WEB/0] OUT listening on 61003", result.Out);
        Assert.DoesNotContain("FAILED", result.Err);
    }

    [Fact]
    public async Task Logs_ForAMissingApp_SaysWhereToLook()
    {
        using var rav = new Rav(server);
        await TestSpace.CreateAsync(rav);

        var result = await rav.RunAsync("logs", "ghost", "--recent");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("App 'ghost' not found", result.Err);
    }

    [Fact]
    public async Task Logs_AgainstTheRealPlatform_EndCleanlyWhenTheNodeHasNothingToSay()
    {
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        await space.CreateAppAsync(server, "svc");

        // The test platform runs no node agent: the API answers with an empty stream, which is not an error.
        var recent = await rav.OkAsync("logs", "svc", "--recent", "--json");
        var followed = await rav.OkAsync("logs", "svc");

        Assert.Equal(0, recent.Json().GetArrayLength());
        Assert.Contains("Retrieving logs for app svc", followed.Out);
        Assert.Contains("The platform ended the log stream.", followed.Err);
    }

    /// <summary>A response body that sends some text and then stays open until the reader gives up, like a followed log.</summary>
    private sealed class EndlessContent(string first) : HttpContent
    {
        protected override Task<Stream> CreateContentReadStreamAsync() => Task.FromResult<Stream>(new EndlessStream(Encoding.UTF8.GetBytes(first)));

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => throw new NotSupportedException();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    private sealed class EndlessStream(byte[] first) : Stream
    {
        private int _sent;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => _sent; set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_sent < first.Length)
            {
                var count = Math.Min(buffer.Length, first.Length - _sent);
                first.AsMemory(_sent, count).CopyTo(buffer);
                _sent += count;
                return count;
            }

            await Task.Delay(Timeout.Infinite, cancellationToken);
            return 0;
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
