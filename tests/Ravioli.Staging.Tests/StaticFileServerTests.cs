using System.Net;
using System.Net.Sockets;
using System.Text;
using Ravioli.Staging.Buildpacks;
using Ravioli.Staging.Tests.Support;
using Xunit;

namespace Ravioli.Staging.Tests;

/// <summary>A site with traps in it (dot files, config files, a symlink out of the served directory), staged once and served.</summary>
public sealed class StaticSiteFixture : IAsyncLifetime
{
    private readonly TempDirectory _app = new("site");
    private readonly TempDirectory _work = new("work");

    private RunningApp? _running;

    public int Port => _running!.Port;

    public async Task InitializeAsync()
    {
        _app.Write("index.html", "<h1>home</h1>");
        _app.Write("docs/index.html", "<h1>docs</h1>");
        _app.Write("docs/guide.txt", "guide");
        _app.Write("assets/app.js", "console.log(1);");
        _app.Write("assets/logo.svg", "<svg/>");
        _app.Write("data.json", "{}");
        _app.Write("blob.weird", "??");
        _app.Write(".env", "SECRET=dot-file");
        _app.Write("Staticfile", "# defaults\n");
        _app.Write("manifest.yml", "applications: []\n");
        // Inside the pushed app, but it leads out of the served directory once the site moves to public/.
        File.CreateSymbolicLink(_app.Combine("up"), "..");
        File.CreateSymbolicLink(_app.Combine("docs/home.html"), "../index.html");
        var result = await new Stager().StageAsync(new StagingRequest { SourceDirectory = _app.Path, WorkDirectory = _work.Path }, _ => { });
        Assert.Equal(BuildpackNames.Staticfile, result.Buildpack);
        _running = RunningApp.Start(result.AppDirectory, result.StartCommand);
        Assert.Equal(HttpStatusCode.OK, (await _running.GetAsync()).Status);
    }

    public async Task DisposeAsync()
    {
        if (_running is not null)
        {
            await _running.DisposeAsync();
        }
        _app.Dispose();
        _work.Dispose();
    }
}

/// <summary>The staticfile_buildpack's Node.js server, asked with raw HTTP (no client-side path clean-up).</summary>
public sealed class StaticFileServerTests(StaticSiteFixture site) : IClassFixture<StaticSiteFixture>
{
    [Theory]
    [InlineData("/", 200, "text/html; charset=utf-8", "<h1>home</h1>")]
    [InlineData("/index.html", 200, "text/html; charset=utf-8", "<h1>home</h1>")]
    [InlineData("/docs/", 200, "text/html; charset=utf-8", "<h1>docs</h1>")]
    [InlineData("/docs/guide.txt", 200, "text/plain; charset=utf-8", "guide")]
    [InlineData("/docs/home.html", 200, "text/html; charset=utf-8", "<h1>home</h1>")]
    [InlineData("/assets/app.js", 200, "text/javascript; charset=utf-8", "console.log(1);")]
    [InlineData("/assets/logo.svg", 200, "image/svg+xml", "<svg/>")]
    [InlineData("/data.json", 200, "application/json; charset=utf-8", "{}")]
    [InlineData("/blob.weird", 200, "application/octet-stream", "??")]
    [InlineData("/index.html?v=1", 200, "text/html; charset=utf-8", "<h1>home</h1>")]
    public async Task Files_are_served_with_their_content_type(string path, int status, string contentType, string body)
    {
        var response = await RawGetAsync(path);

        Assert.Equal(status, response.Status);
        Assert.Equal(contentType, response.Headers["content-type"]);
        Assert.Equal(body, response.Body);
    }

    [Theory]
    [InlineData("/missing.html")]
    [InlineData("/.env")]
    [InlineData("/Staticfile")]
    [InlineData("/manifest.yml")]
    [InlineData("/../Staticfile")]
    [InlineData("/../../../../etc/passwd")]
    [InlineData("/%2e%2e/Staticfile")]
    [InlineData("/..%2fStaticfile")]
    [InlineData("/docs/..%2f..%2f.staticfile%2fserver.js")]
    [InlineData("/up/Staticfile")]
    [InlineData("/up/.staticfile/server.js")]
    [InlineData("/.staticfile/server.js")]
    public async Task Nothing_outside_the_site_is_served(string path)
    {
        var response = await RawGetAsync(path);

        Assert.Equal(404, response.Status);
        Assert.DoesNotContain("defaults", response.Body);
        Assert.DoesNotContain("SECRET", response.Body);
        Assert.DoesNotContain("root:", response.Body);
    }

    [Fact]
    public async Task A_directory_without_a_slash_redirects()
    {
        var response = await RawGetAsync("/docs");

        Assert.Equal(301, response.Status);
        Assert.Equal("/docs/", response.Headers["location"]);
    }

    [Fact]
    public async Task Other_methods_are_refused()
    {
        var response = await RawRequestAsync("DELETE", "/index.html");

        Assert.Equal(405, response.Status);
        Assert.Equal("GET, HEAD", response.Headers["allow"]);
    }

    private sealed record RawResponse(int Status, Dictionary<string, string> Headers, string Body);

    private Task<RawResponse> RawGetAsync(string path) => RawRequestAsync("GET", path);

    private async Task<RawResponse> RawRequestAsync(string method, string path)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, site.Port);
        await using var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var text = await reader.ReadToEndAsync();
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var head = text[..split].Split("\r\n");
        var headers = head.Skip(1)
            .Select(l => l.Split(':', 2))
            .ToDictionary(p => p[0].Trim().ToLowerInvariant(), p => p[1].Trim());
        var body = text[(split + 4)..].TrimEnd('\n');
        return new RawResponse(int.Parse(head[0].Split(' ')[1]), headers, body);
    }
}
