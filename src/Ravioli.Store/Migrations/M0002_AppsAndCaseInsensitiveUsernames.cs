using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Ravioli.Store.Migrations;

/// <summary>Adds app metadata, and makes usernames unique regardless of case (as UAA compares them).</summary>
[DbContext(typeof(RavioliDb))]
[Migration("20261121000002_AppsAndCaseInsensitiveUsernames")]
public sealed class AppsAndCaseInsensitiveUsernames : Migration
{
    protected override void Up(MigrationBuilder m)
    {
        m.AddColumn<string>("username_key", "users", nullable: false, defaultValue: "");
        // Existing rows get their key from the name they already have; both engines have lower().
        m.Sql("UPDATE users SET username_key = lower(username)");
        m.DropIndex("ix_users_username", "users");
        m.CreateIndex("ix_users_username_key", "users", "username_key", unique: true);

        m.CreateTable("apps", t => new
        {
            guid = t.Column<string>(nullable: false),
            created_at = t.Column<DateTime>(nullable: false),
            updated_at = t.Column<DateTime>(nullable: false),
            version = t.Column<string>(nullable: false),
            name = t.Column<string>(nullable: false),
            space_guid = t.Column<string>(nullable: false),
            state = t.Column<string>(nullable: false),
            lifecycle_type = t.Column<string>(nullable: false),
            buildpacks = t.Column<string>(nullable: false),
            stack = t.Column<string>(nullable: true),
            environment_variables = t.Column<string>(nullable: false),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_apps", x => x.guid);
            t.ForeignKey("fk_apps_space", x => x.space_guid, "spaces", "guid", onDelete: ReferentialAction.Cascade);
        });
        m.CreateIndex("ix_apps_space_guid_name", "apps", ["space_guid", "name"], unique: true);
    }
}
