import asyncio
import multiprocessing
import threading
from concurrent.futures import ThreadPoolExecutor

from restate import Context


class Worker(threading.Thread):
    pass


async def spawn(ctx: Context) -> None:
    threading.Thread(target=print).start()  # expect: REA110
    threading.Timer(1, print)  # expect: REA110
    Worker()  # expect: REA110
    ThreadPoolExecutor()  # expect: REA110
    await asyncio.to_thread(print)  # expect: REA110
    asyncio.get_running_loop().run_in_executor(None, print)  # expect: REA110
    multiprocessing.Process(target=print)  # expect: REA110
    threading.Lock()
