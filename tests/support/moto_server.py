"""moto's server (moto[server]==5.1.22) with one fix to its EC2 emulation, for the tests.

CreateLaunchTemplateVersion keeps the new version's UserData as the request carried it (a
str), while CreateLaunchTemplate parses it into moto's Base64EncodedString, and moto's own
RunInstances path asserts that type: so an Auto Scaling group cannot launch a single instance
from any launch template version but the first. AWS launches from every version, and rolling a
node group onto a new version is exactly what the tests must see, so the new version's user
data is parsed as the first version's is. Nothing else changes: run as `python moto_server.py
-H 127.0.0.1 -p PORT`, exactly as `moto_server`.
"""

import sys

from moto.ec2.models.launch_templates import LaunchTemplate
from moto.ec2.utils import parse_user_data
from moto.server import main

_create_version = LaunchTemplate.create_version


def create_version(self, data, description):
    if isinstance(data.get("UserData"), str):
        data = dict(data, UserData=parse_user_data(data["UserData"]))
    return _create_version(self, data, description)


LaunchTemplate.create_version = create_version

if __name__ == "__main__":
    sys.exit(main())
