"""Print the schema in SDL: `python -m schema.export > schema.graphql`."""

from schema import schema


def sdl() -> str:
    return schema.as_str() + "\n"


if __name__ == "__main__":
    print(sdl(), end="")
