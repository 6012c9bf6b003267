using System.CommandLine;
using System.IO.Compression;
using System.Text.Json.Nodes;
using Ravioli.Cli.Http;
using Ravioli.Cli.Model;
using Ravioli.Cli.Output;

namespace Ravioli.Cli.Commands.Buildpacks;

/// <summary><c>rav create-buildpack</c>: an admin adds a buildpack from a zip, optionally at a position in the detection order.</summary>
internal sealed class CreateBuildpackCommand : RavCommand
{
    private readonly Argument<string> _name = new("BUILDPACK") { Description = "Name of the new buildpack, e.g. my_buildpack" };
    private readonly Argument<string> _zip = new("PATH") { Description = "The buildpack as a .zip file" };
    private readonly Argument<int?> _position = new("POSITION") { Description = "Where staging tries it (1 = first; default: last)", Arity = ArgumentArity.ZeroOrOne };
    private readonly Option<bool> _disable = new("--disable") { Description = "Create it disabled: staging will not use it" };

    public CreateBuildpackCommand(CliSession session)
        : base(session, "create-buildpack", "Create a buildpack from a zip file (admin only)")
    {
        Command.Arguments.Add(_name);
        Command.Arguments.Add(_zip);
        Command.Arguments.Add(_position);
        Command.Options.Add(_disable);
    }

    protected override async Task ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        Session.RequireLogin();
        var name = parseResult.GetRequiredValue(_name);
        var zip = Path.GetFullPath(parseResult.GetRequiredValue(_zip), Session.Env.WorkingDirectory);
        var position = parseResult.GetValue(_position);
        if (position is < 1)
        {
            throw new CliException($"Invalid position {position}. Use 1 for first, or leave it out to add the buildpack last.");
        }

        // Check the file before creating anything, so a typo does not leave an empty buildpack behind.
        CheckZip(zip);

        Ui.Say($"Creating buildpack {name} as {Session.UserName}...");
        var body = new JsonObject { ["name"] = name };
        if (position is { } p)
        {
            body["position"] = p;
        }

        if (parseResult.GetValue(_disable))
        {
            body["enabled"] = false;
        }

        var buildpack = Json.Resource<BuildpackResource>(await Api.PostAsync("/v3/buildpacks", body, cancellationToken));
        Ui.Ok();
        Ui.Blank();

        var size = ByteSize.Format(new FileInfo(zip).Length);
        Ui.Say($"Uploading buildpack {name}...");
        var uploaded = await Api.UploadAsync(
            $"/v3/buildpacks/{buildpack.Guid}/upload",
            zip,
            "application/zip",
            sent => Ui.Progress($"Uploading {name}... {ByteSize.Format(sent)} / {size}"),
            cancellationToken);
        Ui.EndProgress();
        Ui.Say($"Uploaded {size}");
        Ui.Ok();
        Ui.Result(uploaded);
    }

    private static void CheckZip(string zip)
    {
        if (!File.Exists(zip))
        {
            throw new CliException($"Buildpack file {zip} does not exist. Give the path of a .zip file.");
        }

        try
        {
            using var archive = ZipFile.OpenRead(zip);
            _ = archive.Entries.Count;
        }
        catch (InvalidDataException e)
        {
            throw new CliException($"{zip} is not a zip file ({e.Message}). A buildpack is uploaded as a .zip archive.", e);
        }
    }
}
