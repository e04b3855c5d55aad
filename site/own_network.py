"""Bring your own network: a ``.npz`` file the person opens or drops onto the page.

pad.js reads the file (the picker or a drop) and hands its name, size and bytes to
:func:`open_network`, which reads it with ``hwd.load`` (HWD's format or the ancestor's),
adds it to the network selector for this visit, under its file name with its layers and
stored accuracy, and makes it the network that recognizes.  The file never leaves the
browser.  A file that cannot be used gets a message naming it and saying why; the page
keeps the network it had.
"""

from __future__ import annotations

from pyscript import document

import hwd

MAX_BYTES = 50_000_000  # pad.js does not even read a bigger file


def describe(network: hwd.Network) -> str:
    """Layers and stored accuracy, for the selector: "784-100-10, 97.10% on MNIST"."""
    layers = "-".join(map(str, network.sizes))
    accuracy = network.meta.get("test_accuracy")
    return f"{layers}, {accuracy:.2%} on MNIST" if accuracy else f"{layers}, accuracy not stored"


def read(name: str, size: int, buffer) -> hwd.Network:
    """The network in the file, or ValueError with what is wrong in plain words."""
    if size > MAX_BYTES or buffer is None:
        raise ValueError(f"it is {size / 1e6:.0f} MB; a network file may have at most "
                         f"{MAX_BYTES / 1e6:.0f} MB")
    try:  # hwd.load checks the format, the limits, 784 inputs, 10 outputs, finite weights
        return hwd.load(buffer.to_bytes())
    except hwd.NetworkFileError as e:
        raise ValueError(str(e).removeprefix("<bytes>: ")) from None
    except MemoryError:
        raise ValueError("there is not enough memory to read it") from None


async def open_network(page, name: str, size: int, buffer) -> bool:
    """Read the file and, if it is a network, select it; True if it was."""
    try:
        network = read(name, size, buffer)
    except ValueError as e:
        page.message.textContent = f"“{name}” is not a network this page can use: {e}."
        return False
    select = document.getElementById("network")
    option = next((o for o in select.options if o.value == name), None)
    if option is None:
        option = document.createElement("option")
        option.value = name
        select.appendChild(option)
    option.textContent = f"{name} (yours: {describe(network)})"
    page.networks[name] = network
    page.message.textContent = ""
    select.value = name
    await page.select(name)
    return True
